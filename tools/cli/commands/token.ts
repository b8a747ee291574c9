import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_FILE } from "../../dev-key/constants.ts";
import { parseDuration } from "../duration.ts";

const usage = `usage: gatehouse token --sub ID [options]

Mints a dev token signed with the key \`gatehouse dev\` serves (${DEV_KEY_FILE}, created on first use).
Prints only the token, so \`TOKEN=$(npx gatehouse token --sub alice ...)\` works.

options:
  --sub ID           the principal id (\`sub\`); required
  --groups LIST      roles, comma-separated or repeated (\`groups\` claim)
  --tenant NAME      the \`tenant\` claim
  --scope SCOPES     OAuth scopes, space- or comma-separated or repeated (\`scope\` claim)
  --amr LIST         authentication methods, e.g. \`pwd,mfa\` (\`amr\` claim)
  --claim NAME=VALUE any other claim; VALUE is parsed as JSON when it can be (\`suspended=true\`)
  --ttl DURATION     lifetime: \`90s\`, \`15m\`, \`1h\`, \`2d\`; default 1h, from 1s to 7d
  --issuer URL       \`iss\`; default ${DEV_ISSUER}
  --audience AUD     \`aud\`; default ${DEV_AUDIENCE}
  --key FILE         the private JWK to sign with; default ${DEV_KEY_FILE}

exit codes: 0 printed a token, 2 usage error`;

const RESERVED = new Set(["iss", "aud", "exp", "iat", "nbf", "jti"]);

function list(values: string[] | undefined, separator: RegExp): string[] {
  return (values ?? []).flatMap((value) => value.split(separator)).map((item) => item.trim()).filter(Boolean);
}

/** `gatehouse token`: a signed dev token for curl and for `gatehouse check --claims`. */
export const command: CliCommand = {
  summary: "mint a dev token signed with the key of `gatehouse dev`",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      sub: { type: "string" },
      groups: { type: "string", multiple: true },
      tenant: { type: "string" },
      scope: { type: "string", multiple: true },
      amr: { type: "string", multiple: true },
      claim: { type: "string", multiple: true },
      ttl: { type: "string", default: "1h" },
      issuer: { type: "string", default: DEV_ISSUER },
      audience: { type: "string", default: DEV_AUDIENCE },
      key: { type: "string", default: DEV_KEY_FILE },
    });
    if (!values.sub) throw new UsageError("missing `--sub`: the token needs a subject");
    const ttlSeconds = parseDuration(values.ttl, "--ttl", 1, 7 * 86_400);

    const claims: Record<string, unknown> = {};
    for (const pair of values.claim ?? []) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`--claim: expected NAME=VALUE, got \`${pair}\``);
      const name = pair.slice(0, eq);
      if (RESERVED.has(name)) throw new UsageError(`--claim: \`${name}\` is set by the command itself`);
      claims[name] = parseValue(pair.slice(eq + 1));
    }
    const groups = list(values.groups, /,/);
    if (values.groups) claims.groups = groups;
    if (values.tenant !== undefined) claims.tenant = values.tenant;
    if (values.scope) claims.scope = list(values.scope, /[\s,]+/).join(" ");
    if (values.amr) claims.amr = list(values.amr, /,/);

    // Loaded here, so `gatehouse --help` does not load jose
    const [{ SignJWT }, { loadDevKey }] = await Promise.all([import("jose"), import("../../dev-key/index.ts")]);
    const key = await loadDevKey({ file: values.key });
    if (key.created) process.stderr.write(`gatehouse token: created dev key \`${key.file}\`\n`);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setIssuer(values.issuer)
      .setAudience(values.audience)
      .setSubject(values.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(key.privateKey);
    process.stdout.write(`${token}\n`);
    return 0;
  },
};

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
