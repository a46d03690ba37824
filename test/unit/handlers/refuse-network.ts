/**
 * Preloaded (`node --import`) by the handler import test: any attempt to reach the network while
 * a handler module loads fails loudly, so a clean exit proves the import made no network call.
 */
import dns from 'node:dns';
import net from 'node:net';

const refuse = (what: string) => () => {
  throw new Error(`NETWORK ATTEMPT during import: ${what}`);
};

net.Socket.prototype.connect = refuse('net.Socket.connect') as typeof net.Socket.prototype.connect;
dns.lookup = refuse('dns.lookup') as unknown as typeof dns.lookup;
globalThis.fetch = refuse('fetch') as typeof fetch;
