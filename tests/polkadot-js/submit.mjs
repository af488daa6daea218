// Submitting a transaction as Polkadot.js Apps does, shared by the tests
// and the scripts.

/**
 * Signs and submits `tx` with `signer`; resolves with `{ events, blockHash }`
 * once it is in a block (or, with `{ finalized: true }`, in a finalized
 * one); rejects on an invalid transaction or a dispatch error, naming the
 * pallet's error as `section.Name`.
 */
export function submit(api, tx, signer, { finalized = false } = {}) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(signer, (result) => {
      if (result.isError || result.status.isInvalid || result.status.isDropped || result.status.isUsurped) {
        unsub?.();
        reject(new Error(`transaction failed: ${result.status.type}`));
        return;
      }
      const done = finalized ? result.status.isFinalized : result.status.isInBlock;
      if (!done) return;
      unsub?.();
      if (result.dispatchError) {
        const err = result.dispatchError.isModule
          ? (({ section, name }) => `${section}.${name}`)(api.registry.findMetaError(result.dispatchError.asModule))
          : result.dispatchError.toString();
        reject(new Error(`dispatch error: ${err}`));
        return;
      }
      const blockHash = finalized ? result.status.asFinalized : result.status.asInBlock;
      resolve({ events: result.events, blockHash });
    }).then((u) => { unsub = u; }, reject);
  });
}
