//! Tests of the runtime's own configuration (the pallets test themselves).

mod board;
mod genesis;
mod marketplace;

use crate::*;
use sp_keyring::Sr25519Keyring;

/// Chain state as `--dev` starts it, at block 1 so events are recorded.
pub(crate) fn dev_chain() -> sp_io::TestExternalities {
	let storage = genesis_config_presets::development()
		.build_storage()
		.expect("the development preset builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

pub(crate) fn account(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

pub(crate) fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(who))
}
