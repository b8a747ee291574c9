#!/usr/bin/env node
// The package's `gatehouse-forward-auth` command: the forward-auth server, configured by the
// environment (see main.ts). A file of its own because an installed bin runs through a symlink.
import { serveFromEnv } from "./main.ts";

await serveFromEnv();
