//! Chain specifications, built from the runtime's genesis presets.

use ocm_primitives::{currency, SS58_PREFIX};
use sc_chain_spec::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sc_service::{ChainType, Properties};

pub type ChainSpec = sc_service::GenericChainSpec;

/// The chain ids this binary knows, with what each is.
pub const KNOWN_CHAINS: &[(&str, &str)] = &[
	("dev", "one validator (Alice), for development; what --dev selects"),
	("local", "three validators (Alice, Bob, Charlie) on one machine"),
];

/// Token symbol, decimals and address format, as wallets and Polkadot.js show them.
fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), currency::TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), currency::TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), SS58_PREFIX.into());
	p
}

fn wasm() -> Result<&'static [u8], String> {
	ocm_runtime::WASM_BINARY.ok_or_else(|| {
		"this ocm-node was built without the runtime's wasm (SKIP_WASM_BUILD was set); rebuild it without"
			.to_string()
	})
}

fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("ocm")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

pub fn development() -> Result<ChainSpec, String> {
	from_preset("OCM Development", "ocm_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset("OCM Local Testnet", "ocm_local", ChainType::Local, LOCAL_TESTNET_RUNTIME_PRESET)
}

/// The chain spec for `--chain <id>`: a known id or a path to a JSON spec.
/// Anything else is refused rather than read as a missing file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development()?),
		"local" => Box::new(local_testnet()?),
		"" => {
			return Err(format!("no chain given: pass --dev or --chain <id>. {}", known_chains()))
		}
		path if std::path::Path::new(path).is_file() => {
			Box::new(ChainSpec::from_json_file(path.into())?)
		}
		other => {
			return Err(format!(
				"unknown chain `{other}`: neither a known chain id nor a chain spec file. {}",
				known_chains()
			))
		}
	})
}

fn known_chains() -> String {
	let known: Vec<String> =
		KNOWN_CHAINS.iter().map(|(id, what)| format!("  {id}: {what}")).collect();
	format!("Known chains:\n{}", known.join("\n"))
}
