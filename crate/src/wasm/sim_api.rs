//! The simulator's JS surface: `listNetworks()`, `listPresets()` and
//! `simulate(network, config, options)`. Thin: everything is in `crate::sim`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::{from_js, optional, string, to_js};
use crate::nets::{Shape, ZOO};
use crate::sim::{simulate_with, Arch, ArchConfig, NetworkRef, SimOptions, PRESETS};

/// One entry of [`list_networks`].
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
struct NetworkInfo {
    name: &'static str,
    description: &'static str,
    input: Shape,
    w_bits: u32,
    a_bits: u32,
    layers: usize,
    params: u64,
    macs: u64,
}

/// One entry of [`list_presets`].
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
struct PresetInfo {
    name: &'static str,
    description: &'static str,
    arch: Arch,
}

/// The built-in networks: `[{name, description, input: {c, h, w}, w_bits, a_bits,
/// layers, params, macs}]`.
#[wasm_bindgen(js_name = listNetworks, unchecked_return_type = "NetworkInfo[]")]
pub fn list_networks() -> Result<JsValue, JsError> {
    let mut out = Vec::with_capacity(ZOO.len());
    for e in ZOO {
        let n = e.spec().build()?;
        out.push(NetworkInfo {
            name: e.name,
            description: e.description,
            input: n.input,
            w_bits: n.w_bits,
            a_bits: n.a_bits,
            layers: n.layers.len(),
            params: n.params(),
            macs: n.macs(),
        });
    }
    to_js(&out)
}

/// The hardware presets: `[{name, description, arch}]`, `arch` being the full
/// resolved hardware description (the fields a config may override).
#[wasm_bindgen(js_name = listPresets, unchecked_return_type = "PresetInfo[]")]
pub fn list_presets() -> Result<JsValue, JsError> {
    let out: Vec<PresetInfo> = PRESETS
        .iter()
        .map(|p| PresetInfo {
            name: p.name,
            description: p.description,
            arch: p.arch(),
        })
        .collect();
    to_js(&out)
}

/// Simulates one image. `network`: a zoo name (string) or a network spec object;
/// `config`: `undefined`/`null` or an `ArchConfig` object (`{preset?, device?: {...},
/// crossbar?: {...}, ...}`); `options`: `undefined`/`null` or `{accounting?: "mnsim" |
/// "physical", preset?, crossbar_size?, cell_bits?, adc_choice?, dac_choice?, w_bits?,
/// a_bits?}`. Returns the same object as `epim simulate --json` (snake_case keys).
/// Throws an `Error` naming the problem for unknown names, invalid configs and
/// networks that do not fit on the chip.
#[wasm_bindgen(unchecked_return_type = "SimReport")]
pub fn simulate(
    #[wasm_bindgen(unchecked_param_type = "string | NetworkSpec")] network: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ArchConfig | null")] config: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "SimOptions | null")] options: JsValue,
) -> Result<JsValue, JsError> {
    let network: NetworkRef = if network.is_string() {
        NetworkRef::Name(string("network", &network)?)
    } else if network.is_object() {
        NetworkRef::Spec(from_js("network", &network)?)
    } else {
        return Err(JsError::new(
            "network must be a zoo name (string) or a network spec object",
        ));
    };
    let config: ArchConfig = optional("hardware config", &config)?;
    let options: SimOptions = optional("simulate options", &options)?;
    to_js(&simulate_with(&network, &config, &options)?)
}
