// Starts a real `ocm-node --dev` for a test, on free loopback ports, and stops it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The node binary: $OCM_NODE_BIN, else the debug build in $CARGO_TARGET_DIR or ./target. */
export function nodeBinary() {
  const bin = process.env.OCM_NODE_BIN
    ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'ocm-node');
  if (!existsSync(bin)) {
    throw new Error(`ocm-node not found at ${bin}: run \`cargo build -p ocm-node\` or set OCM_NODE_BIN`);
  }
  return bin;
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function rpcReady(url) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts `ocm-node --dev` and resolves once its RPC answers. */
export async function startDevNode({ timeoutMs = 120_000 } = {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const args = [
    '--dev',
    '--rpc-port', String(rpcPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--no-prometheus',
    '--no-mdns',
    '--no-telemetry',
  ];
  const child = spawn(nodeBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-20_000);
  });
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; });

  const http = `http://127.0.0.1:${rpcPort}`;
  const deadline = Date.now() + timeoutMs;
  while (!(await rpcReady(http))) {
    if (exited) throw new Error(`ocm-node exited early (${JSON.stringify(exited)}):\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ocm-node RPC not ready after ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url: `ws://127.0.0.1:${rpcPort}`,
    log: () => log,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
