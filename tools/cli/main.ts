import { UsageError, type CliCommand } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";

function commandNames(): string[] {
  return Object.keys(COMMANDS).sort();
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  if (!Object.hasOwn(COMMANDS, name)) return undefined;
  return (await COMMANDS[name]!()).command;
}

async function printOverview(): Promise<void> {
  const lines = ["usage: gatehouse <command> [options]", "", "commands:"];
  // Command modules load their heavy parts only when run, so loading them all here is quick
  const names = commandNames();
  const commands = await Promise.all(names.map(loadCommand));
  names.forEach((name, i) => {
    const command = commands[i];
    if (command) lines.push(`  ${name.padEnd(14)}${command.summary}`);
  });
  lines.push("", "run `gatehouse <command> --help` for a command's options");
  console.log(lines.join("\n"));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    await printOverview();
    return name ? 0 : 2;
  }
  const command = await loadCommand(name);
  if (!command) {
    console.error(`gatehouse: unknown command \`${name}\`; run \`gatehouse --help\``);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`gatehouse ${name}: ${error.message}`);
      return 2;
    }
    // Known user-facing errors (config, build) carry a clear message; anything else is a bug
    if (error instanceof Error && (error.name === "ConfigError" || error.name === "BuildError")) {
      console.error(`gatehouse ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
