// Polkadot.js compatibility: what a content provider or a board member does
// with @polkadot/api against a real `ocm-node --dev`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode } from './ocm-node.mjs';
import { submit as submitTx } from './submit.mjs';

let node;
let api;
let alice, bob, charlie, dave, ferdie;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  [alice, bob, charlie, dave, ferdie] = ['Alice', 'Bob', 'Charlie', 'Dave', 'Ferdie']
    .map((name) => keyring.addFromUri(`//${name}`));
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

/** Signs and submits `tx`; resolves with its block's events once in a block. */
const submit = (tx, signer) => submitTx(api, tx, signer);

function findEvent(events, section, method) {
  return events.map(({ event }) => event).find((e) => e.section === section && e.method === method);
}

test('metadata is V16 and decodes the OCM pallets', async () => {
  assert.equal(api.runtimeMetadata.version, 16);
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const name of ['System', 'Balances', 'Babe', 'Grandpa', 'TransactionPayment', 'Council', 'CouncilMembership', 'CapacityRegistry']) {
    assert.ok(pallets.includes(name), `${name} in ${pallets}`);
  }
  assert.ok(!pallets.includes('Sudo'), 'no sudo: the board governs');
  assert.equal(api.runtimeVersion.specName.toString(), 'ocm');
});

test('BABE authors the dev chain: ten-minute epochs of 2 s slots, Alice its one authority', async () => {
  assert.equal(api.consts.babe.epochDuration.toNumber(), 300);
  assert.equal(api.consts.babe.expectedBlockTime.toNumber(), 2000);
  const authorities = await api.query.babe.authorities();
  assert.equal(authorities.length, 1);
  assert.equal(authorities[0][0].toHex(), `0x${Buffer.from(alice.publicKey).toString('hex')}`);
  // Every block carries a BABE pre-digest with its slot, which Polkadot.js decodes.
  const header = await api.rpc.chain.getHeader();
  const preRuntime = header.digest.logs.find((log) => log.isPreRuntime);
  assert.ok(preRuntime, 'a pre-runtime digest');
  const [engine] = preRuntime.asPreRuntime;
  assert.equal(engine.toString(), 'BABE');
  const slot = await api.query.babe.currentSlot();
  assert.ok(slot.toNumber() > 0, `slot ${slot}`);
});

test('chain properties give the OCM token and address format', async () => {
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'OCM');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(props.ss58Format.unwrap().toNumber(), 42);
  assert.equal(api.registry.chainSS58, 42);
});

test('the board is readable as Polkadot.js Apps reads it', async () => {
  const members = (await api.query.council.members()).map((m) => m.toString()).sort();
  assert.deepEqual(members, [alice.address, bob.address, charlie.address].sort());
  const prime = await api.query.council.prime();
  assert.ok(prime.isNone);
  const seats = (await api.query.councilMembership.members()).map((m) => m.toString()).sort();
  assert.deepEqual(seats, members);
});

test('a balance transfer is signed, included and paid for', async () => {
  const amount = 5n * 10n ** 12n;
  const before = (await api.query.system.account(ferdie.address)).data.free.toBigInt();
  const tx = api.tx.balances.transferKeepAlive(ferdie.address, amount);
  const info = await tx.paymentInfo(alice);
  assert.ok(info.partialFee.toBigInt() > 0n, 'fees are charged');
  const { events } = await submit(tx, alice);
  const transfer = findEvent(events, 'balances', 'Transfer');
  assert.ok(transfer, 'Transfer event');
  assert.equal(transfer.data.to.toString(), ferdie.address);
  assert.equal(transfer.data.amount.toBigInt(), amount);
  assert.ok(findEvent(events, 'transactionPayment', 'TransactionFeePaid'));
  const after = (await api.query.system.account(ferdie.address)).data.free.toBigInt();
  assert.equal(after - before, amount);
});

test('a board motion is proposed, voted and closed from Polkadot.js', async () => {
  const seat = api.tx.councilMembership.addMember(dave.address);
  const threshold = 2;
  const length = seat.method.encodedLength;
  const { events } = await submit(api.tx.council.propose(threshold, seat, length), alice);
  const proposed = findEvent(events, 'council', 'Proposed');
  assert.ok(proposed, 'Council.Proposed event');
  const hash = proposed.data.proposalHash;
  const index = proposed.data.proposalIndex;
  assert.equal(hash.toHex(), seat.method.hash.toHex());
  assert.equal((await api.query.council.proposals()).length, 1);

  // A non-member's vote is refused with the pallet's error.
  await assert.rejects(submit(api.tx.council.vote(hash, index, true), dave), /council\.NotMember/);

  const { weight } = await api.call.transactionPaymentCallApi.queryCallInfo(seat.method, length);
  assert.ok(weight.refTime.toBigInt() > 0n);
  const close = () => api.tx.council.close(hash, index, weight, length);

  await submit(api.tx.council.vote(hash, index, true), alice);
  // Closing with one aye of the two needed, before the motion expires.
  await assert.rejects(submit(close(), charlie), /council\.TooEarly/);
  await submit(api.tx.council.vote(hash, index, true), bob);
  // A second aye from the same member is refused.
  await assert.rejects(submit(api.tx.council.vote(hash, index, true), bob), /council\.DuplicateVote/);

  const closed = await submit(close(), charlie);
  const executed = findEvent(closed.events, 'council', 'Executed');
  assert.ok(executed, 'Council.Executed event');
  assert.ok(executed.data.result.isOk, `motion result: ${executed.data.result.toString()}`);
  assert.ok(findEvent(closed.events, 'councilMembership', 'MemberAdded'));

  const members = (await api.query.council.members()).map((m) => m.toString());
  assert.ok(members.includes(dave.address), 'Dave sits on the board');
});

test('a relay registers from Polkadot.js and the registry runtime API answers', async () => {
  const eve = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Eve');
  const registration = {
    endpoints: {
      http: 'https://pjs.edge.example.net',
      pob: 'https://pjs.edge.example.net/pob',
      amtRelay: null,
      multicastSource: null,
    },
    claims: {
      location: { country: 'DE', asn: 64_511, coordinates: { latitudeDecidegrees: 525, longitudeDecidegrees: 134 } },
      capacityMbps: 2_000,
      footprints: [
        { footprintType: 'ipv4cidr', footprintValue: '198.51.100.0/24', capacityMbps: 2_000 },
        { footprintType: 'countrycode', footprintValue: 'de', capacityMbps: 500 },
      ],
      capabilities: 0b11, // HTTP/1.1 and HTTP/2
    },
  };
  const bond = 100n * 10n ** 12n;
  const { events } = await submit(api.tx.capacityRegistry.registerRelay(registration, bond), eve);
  const registered = findEvent(events, 'capacityRegistry', 'RelayRegistered');
  assert.ok(registered, 'RelayRegistered event');
  const relay = registered.data.relay.toNumber();
  assert.equal(registered.data.operator.toString(), eve.address);

  const stored = (await api.query.capacityRegistry.relays(relay)).unwrap();
  assert.equal(stored.status.type, 'Pending');
  assert.equal(stored.claims.footprints.length, 2);
  const held = await api.query.balances.holds(eve.address);
  assert.ok(held.some((h) => h.id.isCapacityRegistry && h.amount.toBigInt() === bond), 'the bond is a hold');

  // Pending relays serve nobody; the FCI advertisement is there already.
  const serving = await api.call.capacityRegistryApi.relaysFor({ Country: 'DE' }, 1, 10);
  assert.equal(serving.length, 0);
  const fci = JSON.parse((await api.call.capacityRegistryApi.fciAdvertisement(relay)).unwrap().toString());
  assert.deepEqual(fci.capabilities[0]['capability-value']['delivery-protocols'], ['http/1.1']);
  assert.deepEqual(fci.capabilities[0].footprints, [
    { 'footprint-type': 'ipv4cidr', 'footprint-value': ['198.51.100.0/24'] },
    { 'footprint-type': 'countrycode', 'footprint-value': ['de'] },
  ]);
  assert.ok((await api.call.capacityRegistryApi.fciAdvertisement(relay + 1000)).isNone);

  // A duplicate registration is refused with the pallet's error.
  await assert.rejects(
    submit(api.tx.capacityRegistry.registerRelay(registration, bond), eve),
    /capacityRegistry\.DuplicateEndpoint/,
  );
});

test('a board member changes a market parameter by motion from Polkadot.js', async () => {
  const before = await api.query.governance.parameters();
  assert.equal(before.protocolFee.toNumber(), 20_000_000, 'genesis fee: 2 % in Perbill');

  const setFee = api.tx.governance.setParameter({ ProtocolFee: 30_000_000 });
  // Straight from a member's account it is refused: it takes the board.
  await assert.rejects(submit(setFee, alice), /[Bb]adOrigin/);

  // The board has four members now (Dave joined above): three make a majority.
  const members = (await api.query.council.members()).length;
  const threshold = Math.floor(members / 2) + 1;
  const length = setFee.method.encodedLength;
  const { events } = await submit(api.tx.council.propose(threshold, setFee, length), bob);
  const { proposalHash: hash, proposalIndex: index } = findEvent(events, 'council', 'Proposed').data;
  for (const member of [alice, bob, charlie].slice(0, threshold)) {
    await submit(api.tx.council.vote(hash, index, true), member);
  }
  const { weight } = await api.call.transactionPaymentCallApi.queryCallInfo(setFee.method, length);
  const closed = await submit(api.tx.council.close(hash, index, weight, length), charlie);
  assert.ok(findEvent(closed.events, 'council', 'Executed').data.result.isOk);
  const set = findEvent(closed.events, 'governance', 'ParameterSet');
  assert.equal(set.data.motion.toHex(), hash.toHex(), 'the event names the motion');
  assert.equal(set.data.parameter.asProtocolFee.toNumber(), 30_000_000);

  const after = await api.query.governance.parameters();
  assert.equal(after.protocolFee.toNumber(), 30_000_000);
  assert.equal(after.minRelayBond.toBigInt(), before.minRelayBond.toBigInt(), 'nothing else moved');
});
