/**
 * Host-only: saves a PcapWriter's bytes to a file that tcpdump -r / Wireshark open.
 */
import { writeFileSync } from 'node:fs';
import type { PcapWriter } from './pcap.js';

/** Writes the capture to `path` (overwrites). Returns the number of bytes written. */
export function writePcapFile(path: string, writer: PcapWriter): number {
  const bytes = writer.bytes();
  writeFileSync(path, bytes);
  return bytes.length;
}
