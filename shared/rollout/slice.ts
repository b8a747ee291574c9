import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";

/**
 * Where a principal falls for a candidate version, in [0, 1): the first 32 bits of
 * SHA-256(version, type, id) as a fraction. Stable for a principal and a candidate, so a user does
 * not flip between sets from one request to the next; independent between candidates, so each new
 * candidate is tried on a different slice. The parts are length-prefixed, so no two uids collide.
 */
export function slicePosition(candidateVersion: string, type: string, id: string): number {
  const digest = sha256(utf8ToBytes(`${candidateVersion.length}:${candidateVersion}${type.length}:${type}${id.length}:${id}`));
  return (((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0) / 0x1_0000_0000;
}
