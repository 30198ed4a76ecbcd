/**
 * Node module hooks (module.register) that resolve the specifiers of Moddable's module namespace the
 * way a Moddable manifest would: `embedded:io/socket/*` to the xs-tcp classes, `timer`, `time` and
 * `logical` to our Node stand-ins, and Moddable's network client modules to their source files in
 * the installed SDK ($MODDABLE, read in place, never copied). Files from the SDK are loaded as ES
 * modules (they have no package.json saying so).
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

interface Init { moddable: string; hostDir: string }

let map: Record<string, string> = {};
let sdkPrefix = '';

export function initialize(data: Init): void {
  const m = data.moddable;
  const h = data.hostDir;
  sdkPrefix = pathToFileURL(m).href;
  const sdk = (p: string) => join(m, p);
  map = {
    'embedded:io/socket/tcp': join(h, 'socket_tcp.js'),
    'embedded:io/socket/listener': join(h, 'socket_listener.js'),
    'embedded:io/socket/udp': join(h, 'socket_udp.js'),
    timer: join(h, 'timer.js'),
    time: join(h, 'time.js'),
    logical: join(h, 'logical.js'),
    'embedded:network/http/client': sdk('examples/io/tcp/httpclient/httpclient.js'),
    'embedded:network/http/server': sdk('examples/io/listener/httpserver/httpserver.js'),
    'embedded:network/mqtt/client': sdk('examples/io/tcp/mqttclient/mqttclient.js'),
    'embedded:network/websocket/client': sdk('examples/io/tcp/websocketclient/websocketclient.js'),
    'embedded:network/dns/resolver/udp': sdk('examples/io/udp/dns/dns.js'),
    dns: sdk('modules/network/dns/dns.js'),
    // Moddable's dns/parser is native C: on Node, our stand-in (host/dnsparser.ts)
    'dns/parser': join(h, 'dnsparser.js'),
    'dns/serializer': sdk('modules/network/dns/dnsserializer.js'),
  };
}

type Next<T> = (s: string, c: unknown) => Promise<T>;

export async function resolve(specifier: string, context: unknown, next: Next<{ url: string }>): Promise<{ url: string; shortCircuit?: boolean }> {
  const file = map[specifier];
  if (file !== undefined) return { url: pathToFileURL(file).href, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url: string, context: { format?: string }, next: Next<{ format: string; source?: unknown }>):
  Promise<{ format: string; source?: unknown; shortCircuit?: boolean }> {
  if (sdkPrefix !== '' && url.startsWith(sdkPrefix)) {
    const r = await next(url, { ...context, format: 'module' });
    return { ...r, format: 'module', shortCircuit: true };
  }
  return next(url, context);
}
