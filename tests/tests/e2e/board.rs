//! A board motion on the real `ocm-node --dev`, driven over RPC with subxt the
//! way any Substrate client would: Alice proposes to seat Dave, a non-member
//! and a double vote are refused, an early close is refused, two of three
//! members vote aye, Charlie closes, and Dave sits on the board.

use ocm_e2e::{find, submit, value_bytes, Api, DevNode, Motion};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::{Composite, ValueDef},
	utils::AccountId32,
};
use subxt_signer::sr25519::{dev, Keypair};

async fn board(api: &Api) -> Vec<AccountId32> {
	api.at_current_block()
		.await
		.expect("finalized block")
		.storage()
		.fetch(dynamic::storage::<(), Vec<AccountId32>>("Council", "Members"), ())
		.await
		.expect("Council.Members")
		.decode()
		.expect("decodes")
}

fn account(who: &Keypair) -> AccountId32 {
	who.public_key().to_account_id()
}

#[tokio::test(flavor = "multi_thread")]
async fn board_motion_seats_a_member() {
	let node = DevNode::start();
	let api = node.connect().await;
	let (alice, bob, charlie, dave) = (dev::alice(), dev::bob(), dev::charlie(), dev::dave());

	let mut seated = board(&api).await;
	seated.sort();
	let mut expected = vec![account(&alice), account(&bob), account(&charlie)];
	expected.sort();
	assert_eq!(seated, expected, "development preset seats Alice, Bob, Charlie");

	// The motion: CouncilMembership.add_member(Dave), two of three to pass.
	let seat_dave = dynamic::tx(
		"CouncilMembership",
		"add_member",
		Composite::named([(
			"who",
			Value::unnamed_variant("Id", [Value::from_bytes(dave.public_key().0)]),
		)]),
	);
	let at = api.at_current_block().await.unwrap();
	let len = at.tx().call_data(&seat_dave).expect("call encodes").len() as u32;
	let propose = dynamic::tx("Council", "propose", (2u32, seat_dave.into_value(), len));

	// A non-member cannot propose.
	assert_eq!(submit(&api, &propose, &dave).await.unwrap_err(), "Council::NotMember");

	let events = submit(&api, &propose, &alice).await.expect("Alice proposes");
	let motion = Motion::proposed(&find(&events, "Council", "Proposed").fields, len)
		.expect("a motion in Council.Proposed");
	let hash = motion.hash;
	let proposed = &find(&events, "Council", "Proposed").fields;
	assert_eq!(proposed.at("threshold").and_then(|v| v.as_u128()), Some(2));

	let vote = |aye: bool| motion.vote(aye);
	let close = motion.close();

	assert_eq!(submit(&api, &vote(true), &dave).await.unwrap_err(), "Council::NotMember");
	let voted = submit(&api, &vote(true), &alice).await.expect("Alice votes");
	assert_eq!(
		find(&voted, "Council", "Voted").fields.at("yes").and_then(|v| v.as_u128()),
		Some(1)
	);
	assert_eq!(submit(&api, &vote(true), &alice).await.unwrap_err(), "Council::DuplicateVote");
	assert_eq!(submit(&api, &close, &charlie).await.unwrap_err(), "Council::TooEarly");

	submit(&api, &vote(true), &bob).await.expect("Bob votes");
	let closed = submit(&api, &close, &charlie).await.expect("Charlie closes");

	let executed = &find(&closed, "Council", "Executed").fields;
	assert_eq!(value_bytes(executed.at("proposal_hash").unwrap()), hash.to_vec());
	let result = executed.at("result").expect("result field");
	assert!(
		matches!(&result.value, ValueDef::Variant(v) if v.name == "Ok"),
		"motion executed with {result}"
	);
	find(&closed, "Council", "Approved");
	find(&closed, "CouncilMembership", "MemberAdded");

	assert!(board(&api).await.contains(&account(&dave)), "Dave sits on the board");
}
