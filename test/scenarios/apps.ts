/**
 * The four small services of src/apps (what the esp32 example app runs) against clients written with
 * the raw API: echo (RFC 862) returns every octet, discard (RFC 863) swallows them, daytime (RFC 867)
 * sends one line and closes, chargen (RFC 864) streams its ring of lines until the client closes.
 */
import { ERR_OK } from '../../src/core/err.js';
import { tcp_new, tcp_connect } from '../../src/api/tcp_api.js';
import { startEcho, startDiscard, startDaytime, startChargen, type ServiceHandle } from '../../src/apps/index.js';
import { Checks, crcOf, finish, testData, type ScenarioResult } from './common.js';
import { TcpEnd, TcpPair, IP_B } from './tcp_fixture.js';

function client(pair: TcpPair, label: string, port: number): TcpEnd {
  const e = new TcpEnd(label);
  const pcb = tcp_new(pair.a);
  if (pcb !== null) {
    e.attach(pcb);
    tcp_connect(pcb, IP_B, port, e.connectedFn);
  }
  return e;
}

/** RFC 864 line k: 72 characters from code 33 + k (mod 95, over 32..126), then CRLF. */
function chargenLine(k: number): string {
  let s = '';
  for (let i = 0; i < 72; i++) s += String.fromCharCode(32 + ((1 + k + i) % 95));
  return s + '\r\n';
}

export function scenarioServices(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 41, delayMs: 1, jitterMs: 1, loss: 0.01 });
  const services: ServiceHandle[] = [startEcho(pair.b), startDiscard(pair.b), startDaytime(pair.b), startChargen(pair.b)];
  for (const s of services) c.eq(s.err, ERR_OK, s.name + ' listening on ' + s.port);

  const echoData = testData(20000, 51);
  const echo = client(pair, 'echo', 7);
  echo.shutWhenSent = true;
  echo.onFin = 'close';
  const discardData = testData(30000, 52);
  const discard = client(pair, 'discard', 9);
  discard.shutWhenSent = true;
  const daytime = client(pair, 'daytime', 13);
  daytime.captureMax = 100;
  const chargen = client(pair, 'chargen', 19);
  chargen.captureMax = 74 * 3;
  c.ok(pair.net.runUntil(() => echo.connected && discard.connected && daytime.connected && chargen.connected, 3000), 'all connected');
  echo.send(echoData);
  discard.send(discardData);

  c.ok(pair.net.runUntil(() => echo.gotFin && discard.gotFin && daytime.gotFin && chargen.received >= 20000, 30000),
    'echo, discard and daytime done, chargen streaming');
  chargen.close();
  c.eq(echo.received, echoData.length, 'echo returned every octet');
  c.eq(echo.crc.hex(), crcOf(echoData), 'echo data intact');
  c.eq(discard.received, 0, 'discard sends nothing');
  c.ok(/^uptime [0-9]+ s\r\n$/.test(daytime.captured), 'daytime line: ' + JSON.stringify(daytime.captured));
  c.eq(chargen.captured, chargenLine(0) + chargenLine(1) + chargenLine(2), 'chargen lines 0-2 (RFC 864 ring)');
  c.ok(pair.runUntilQuiet(20000), 'every connection closed');
  let accepted = 0;
  for (const s of services) { accepted += s.accepted(); s.stop(); }
  c.eq(accepted, 4, 'each service accepted one connection');
  return finish('services', c, {
    labels: ['A', 'B'], stacks: [pair.a, pair.b], now: pair.net.now, bytes: echo.received + chargen.received,
    digest: echo.crc.hex(), log: pair.log, extra: { daytime: daytime.captured.trim(), chargenBytes: chargen.received },
  });
}
