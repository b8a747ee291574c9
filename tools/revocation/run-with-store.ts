import { UsageError } from "../cli/command.ts";
import { RevocationInputError, type StorePurpose } from "../../shared/revocation/index.ts";
import { openStore, type OpenedCliStore } from "./open-store.ts";

/**
 * Opens the store the flags name, runs `action`, and always closes it. A store that cannot be
 * reached becomes one line on stderr and exit code 1, never a stack trace.
 */
export async function runWithStore(values: Parameters<typeof openStore>[0], action: (opened: OpenedCliStore) => Promise<number>, purpose: StorePurpose = "revocation"): Promise<number> {
  const opened = openStore(values, process.env, purpose);
  try {
    return await action(opened);
  } catch (error) {
    if (error instanceof RevocationInputError) throw new UsageError(error.message);
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.error(`gatehouse: ${opened.description}: ${message.replace(/\.$/, "")}`);
    return 1;
  } finally {
    await opened.close();
  }
}
