/**
 * The pcap writer: the bytes parse back to the classic libpcap format, and tcpdump reads the file
 * when tcpdump is installed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, parsePcap, PCAP_MAGIC, LINKTYPE_ETHERNET } from '../../tools/pcap.js';
import { writePcapFile } from '../../tools/pcapfile.js';
import { PbufPool, PBUF_RAW, pbuf_take, pbuf_free } from '../../src/core/pbuf.js';
import { inet_chksum } from '../../src/core/checksum.js';

/** An Ethernet + IPv4 + ICMP echo request frame that tcpdump decodes. */
function icmpFrame(seq: number, payload = 32): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  const ip = 14;
  f[ip] = 0x45; f[ip + 2] = 0; f[ip + 3] = 20 + 8 + payload; f[ip + 8] = 64; f[ip + 9] = 1;
  f.set([10, 0, 0, 1, 10, 0, 0, 2], ip + 12);
  const ck = inet_chksum(f, ip, 20);
  f[ip + 10] = ck >>> 8; f[ip + 11] = ck & 255;
  const ic = ip + 20;
  f[ic] = 8; f[ic + 4] = 0x12; f[ic + 5] = 0x34; f[ic + 6] = seq >>> 8; f[ic + 7] = seq & 255;
  for (let i = 0; i < payload; i++) f[ic + 8 + i] = i;
  const ck2 = inet_chksum(f, ic, 8 + payload);
  f[ic + 2] = ck2 >>> 8; f[ic + 3] = ck2 & 255;
  return f;
}

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('pcap writer', () => {
  it('writes the classic global header (magic, 2.4, snaplen, LINKTYPE_ETHERNET)', () => {
    const w = new PcapWriter();
    const b = w.bytes();
    assert.equal(b.length, 24);
    const v = new DataView(b.buffer);
    assert.equal(v.getUint32(0, true), PCAP_MAGIC);
    assert.deepEqual(Array.from(b.subarray(0, 4)), [0xd4, 0xc3, 0xb2, 0xa1]);
    assert.equal(v.getUint16(4, true), 2);
    assert.equal(v.getUint16(6, true), 4);
    assert.equal(v.getInt32(8, true), 0);
    assert.equal(v.getUint32(12, true), 0);
    assert.equal(v.getUint32(16, true), 65535);
    assert.equal(v.getUint32(20, true), LINKTYPE_ETHERNET);
  });

  it('records parse back with timestamps, lengths and bytes', () => {
    const w = new PcapWriter({ initialBytes: 32 }); // forces the buffer to grow several times
    const frames = [icmpFrame(1), icmpFrame(2, 1000), icmpFrame(3, 0)];
    w.writeFrame(0, frames[0]);
    w.writeFrame(1234.5, frames[1]);
    w.writeFrame(86400000 + 0.001, frames[2]);
    const file = parsePcap(w.bytes())!;
    assert.ok(file);
    assert.equal(file.versionMajor, 2);
    assert.equal(file.versionMinor, 4);
    assert.equal(file.records.length, 3);
    assert.equal(w.frameCount, 3);
    assert.deepEqual(file.records.map((r) => r.timeMs), [0, 1234.5, 86400000.001]);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(file.records[i].data, frames[i]);
      assert.equal(file.records[i].origLen, frames[i].length);
    }
    assert.equal(w.byteLength, 24 + 3 * 16 + frames.reduce((s, f) => s + f.length, 0));
  });

  it('writes a range of bytes and a pbuf chain', () => {
    const w = new PcapWriter();
    const f = icmpFrame(9, 500);
    const big = new Uint8Array(f.length + 10);
    big.set(f, 7);
    w.writeFrame(1, big, 7, f.length);
    const pool = new PbufPool(8, 128, 2, 1);
    const p = pool.alloc(PBUF_RAW, f.length)!;
    assert.ok(p.next !== null);
    pbuf_take(p, f, f.length);
    w.writeFrame(2, p);
    pbuf_free(p);
    const file = parsePcap(w.bytes())!;
    assert.deepEqual(file.records[0].data, f);
    assert.deepEqual(file.records[1].data, f);
  });

  it('truncates to snaplen but keeps orig_len; honours maxBytes', () => {
    const w = new PcapWriter({ snaplen: 64, maxBytes: 24 + 2 * (16 + 64) });
    const f = icmpFrame(1, 200);
    assert.equal(w.writeFrame(0, f), true);
    assert.equal(w.writeFrame(1, f), true);
    assert.equal(w.writeFrame(2, f), false);
    assert.equal(w.dropped, 1);
    const file = parsePcap(w.bytes())!;
    assert.equal(file.snaplen, 64);
    assert.equal(file.records.length, 2);
    assert.equal(file.records[0].data.length, 64);
    assert.equal(file.records[0].origLen, f.length);
    w.clear();
    assert.equal(parsePcap(w.bytes())!.records.length, 0);
  });

  it('parsePcap rejects garbage and truncated records', () => {
    assert.equal(parsePcap(new Uint8Array(10)), null);
    assert.equal(parsePcap(new Uint8Array(24)), null);
    const w = new PcapWriter();
    w.writeFrame(0, icmpFrame(1));
    const b = w.bytes();
    assert.equal(parsePcap(b.subarray(0, b.length - 1)), null);
  });

  it('tcpdump -r reads the file (when tcpdump is installed)', function () {
    const w = new PcapWriter();
    for (let i = 0; i < 3; i++) w.writeFrame(1000 + i * 10, icmpFrame(i + 1));
    const dir = mkdtempSync(join(tmpdir(), 'xs-tcp-pcap-'));
    try {
      const path = join(dir, 'cap.pcap');
      assert.equal(writePcapFile(path, w), w.byteLength);
      assert.deepEqual(new Uint8Array(readFileSync(path)), w.bytes());
      if (!hasTcpdump()) {
        console.log('      (tcpdump not installed: the file was checked by parsing only; `apt-get install tcpdump` to also check it with tcpdump -r)');
        return;
      }
      const out = execFileSync('tcpdump', ['-nn', '-tt', '-r', path], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const lines = out.trim().split('\n');
      assert.equal(lines.length, 3, out);
      assert.match(lines[0], /^1\.000000 IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request, id 4660, seq 1, length 40/);
      assert.match(lines[2], /^1\.020000 .*seq 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
