// What a content provider does from Polkadot.js, as a script: registers
// as the owner of a host and opens a delivery contract for it with a budget
// in escrow, exactly the two extrinsics Polkadot.js Apps submits from
// Developer > Extrinsics (docs/provider.md). Prints the contract as JSON.
//
//   node open-contract.mjs --url ws://127.0.0.1:9944 --key //Alice \
//     --host live.localhost --origin http://127.0.0.1:8000 \
//     --price 10 --budget 1000
//
// Prices and budgets are in whole OCM (12 decimals).
import { parseArgs } from 'node:util';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { submit as submitTx } from './submit.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:9944' },
    key: { type: 'string', default: '//Alice' },
    name: { type: 'string', default: 'OCM devnet provider' },
    host: { type: 'string' },
    origin: { type: 'string' },
    price: { type: 'string', default: '10' },
    budget: { type: 'string', default: '1000' },
    blocks: { type: 'string', default: '100000' },
  },
});
if (!args.host || !args.origin) {
  console.error('usage: node open-contract.mjs --host HOST --origin URL [--url WS] [--key SURI] [--price OCM/GB] [--budget OCM]');
  process.exit(2);
}

const UNIT = 10n ** 12n;

/** Signs and submits `tx`; resolves with its events once finalized. */
async function submit(api, tx, signer) {
  const { events } = await submitTx(api, tx, signer, { finalized: true });
  return events.map(({ event }) => event);
}

await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(args.url), noInitWarn: true });
try {
  const provider = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(args.key);
  await submit(api, api.tx.capacityRegistry.registerProvider(args.name, [args.host]), provider);
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const terms = {
    hosts: [args.host],
    origin: args.origin,
    pricePerGb: BigInt(args.price) * UNIT,
    budget: BigInt(args.budget) * UNIT,
    footprint: 'Anywhere',
    suppliers: { allow: [], deny: [], minVerifiedMbps: 0, requiredCapabilities: 0 },
    sla: {
      minVerifiedMbps: 10,
      maxErrorShare: 50_000_000, // 5 % (Perbill)
      requireActive: true,
      penalty: 100_000_000, // 10 % withheld per broken term
    },
    start: now + 2,
    end: now + Number(args.blocks),
  };
  const events = await submit(api, api.tx.cdniSettlement.openContract(terms), provider);
  const opened = events.find((e) => e.section === 'cdniSettlement' && e.method === 'ContractOpened');
  if (!opened) throw new Error('no cdniSettlement.ContractOpened event');
  const contract = opened.data.contract.toNumber();
  const stored = (await api.query.cdniSettlement.contracts(contract)).unwrap();
  console.log(JSON.stringify({
    contract,
    provider: provider.address,
    escrow: stored.escrow.toString(),
    start: terms.start,
    end: terms.end,
  }));
} finally {
  await api.disconnect();
}
