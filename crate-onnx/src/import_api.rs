//! `importOnnx(bytes, options)` and `OnnxNetwork`: an ONNX CNN as the simulator's
//! network description (what `epim import` writes), and the method comparison on it
//! with pruning masks from the file's real weights (what `epim compare --net
//! MODEL.onnx` does).

use epim::compare::{compare_weighted, CompareRequest};
use epim::nets::onnx::{import_onnx as run_import, ImportOptions, Imported};
use epim::sim::NetworkRef;
use epim::wasm_convert::{bytes, from_js, to_js};
use epim::Error;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Largest ONNX file the page imports: 256 MiB. The import holds the file, the
/// parsed initializers (tract-onnx's copy) and the weights in layer layout at once,
/// about 3x the file (316 MB natively for the 102 MB resnet50); a wasm32 instance
/// has at most 4 GiB, and a browser tab often less.
pub const MAX_PAGE_ONNX_BYTES: usize = 256 << 20;

/// The options of `importOnnx` (all optional; unknown keys are errors).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsImportOptions {
    /// `[1, c, h, w]`, needed when the input has a dynamic dimension besides the batch.
    input_shape: Option<Vec<usize>>,
    /// The network's name (default: the graph's name, else `onnx`).
    name: Option<String>,
    /// Weight bits (default 8).
    w_bits: Option<u32>,
    /// Activation bits (default 8).
    a_bits: Option<u32>,
}

fn options(value: &JsValue) -> Result<ImportOptions, JsError> {
    let o: JsImportOptions = if value.is_undefined() || value.is_null() {
        JsImportOptions::default()
    } else {
        from_js("options", value)?
    };
    let d = ImportOptions::default();
    Ok(ImportOptions {
        input_shape: o.input_shape,
        name: o.name,
        w_bits: o.w_bits.unwrap_or(d.w_bits),
        a_bits: o.a_bits.unwrap_or(d.a_bits),
    })
}

fn import(bytes_js: &JsValue, options_js: &JsValue) -> Result<Imported, JsError> {
    let options = options(options_js)?;
    let data = bytes("bytes", bytes_js, MAX_PAGE_ONNX_BYTES)?;
    Ok(run_import(&data, &options)?)
}

/// `importOnnx(bytes: Uint8Array, options?: {inputShape?, name?, wBits?, aBits?})`:
/// the network description `epim import` writes (a `NetworkSpec` object that the
/// main module's `simulate`, `compare` and `SearchSession` take unchanged). Throws
/// an `Error` naming the node or field; files over `onnxLimits().max_file_bytes`
/// are refused before they are copied.
#[wasm_bindgen(js_name = importOnnx, unchecked_return_type = "NetworkSpec")]
pub fn import_onnx(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    #[wasm_bindgen(
        unchecked_optional_param_type = "{ inputShape?: number[]; name?: string; wBits?: number; aBits?: number } | null"
    )]
    options: JsValue,
) -> Result<JsValue, JsError> {
    to_js(&import(&bytes, &options)?.spec)
}

/// The module's input limits: `{max_file_bytes}`.
#[wasm_bindgen(js_name = onnxLimits, unchecked_return_type = "{ max_file_bytes: number }")]
pub fn onnx_limits() -> Result<JsValue, JsError> {
    to_js(&serde_json::json!({ "max_file_bytes": MAX_PAGE_ONNX_BYTES }))
}

/// An imported ONNX network kept with its real weights, for comparisons.
#[wasm_bindgen]
pub struct OnnxNetwork {
    imported: Imported,
}

/// What `OnnxNetwork.summary()` returns (as `epim import --out` prints).
#[derive(Serialize)]
struct Summary<'a> {
    network: &'a str,
    layers: usize,
    params: u64,
    macs: u64,
    weighted_layers: usize,
    transparent: Vec<Transparent<'a>>,
}

#[derive(Serialize)]
struct Transparent<'a> {
    op: &'a str,
    nodes: usize,
}

#[wasm_bindgen]
impl OnnxNetwork {
    /// `OnnxNetwork.import(bytes, options?)`: as `importOnnx`, keeping the weights.
    pub fn import(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
        #[wasm_bindgen(
            unchecked_optional_param_type = "{ inputShape?: number[]; name?: string; wBits?: number; aBits?: number } | null"
        )]
        options: JsValue,
    ) -> Result<OnnxNetwork, JsError> {
        Ok(OnnxNetwork {
            imported: import(&bytes, &options)?,
        })
    }

    /// The network description (`NetworkSpec`), as `importOnnx` returns it.
    #[wasm_bindgen(unchecked_return_type = "NetworkSpec")]
    pub fn spec(&self) -> Result<JsValue, JsError> {
        to_js(&self.imported.spec)
    }

    /// `{network, layers, params, macs, weighted_layers, transparent: [{op, nodes}]}`:
    /// what `epim import --out` prints, plus how many layers carry real weights.
    #[wasm_bindgen(
        unchecked_return_type = "{ network: string; layers: number; params: number; macs: number; weighted_layers: number; transparent: { op: string; nodes: number }[] }"
    )]
    pub fn summary(&self) -> Result<JsValue, JsError> {
        let net = self.imported.spec.build()?;
        to_js(&Summary {
            network: &net.name,
            layers: net.layers.len(),
            params: net.params(),
            macs: net.macs(),
            weighted_layers: self.imported.weights.iter().flatten().count(),
            transparent: self
                .imported
                .transparent
                .iter()
                .map(|(op, nodes)| Transparent { op, nodes: *nodes })
                .collect(),
        })
    }

    /// The main module's `compare(request)` on this network, the pruning methods
    /// taking their masks from the file's weights by magnitude (as `epim compare
    /// --net MODEL.onnx`). `request` is `compare`'s without `network` (the network
    /// is this file; giving one is an error). Returns the same `CompareView`.
    #[wasm_bindgen(unchecked_return_type = "CompareView")]
    pub fn compare(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Omit<CompareRequest, \"network\">")]
        request: JsValue,
    ) -> Result<JsValue, JsError> {
        if !request.is_object() {
            return Err(Error::invalid(
                "compare request",
                "must be an object {baseline, methods, ...}",
            )
            .into());
        }
        let mut req: CompareRequest = from_js("compare request", &request)?;
        if req.network.is_some() {
            return Err(Error::invalid(
                "compare request: network",
                "must be left out: the network is the imported ONNX file",
            )
            .into());
        }
        req.network = Some(NetworkRef::Spec(self.imported.spec.clone()));
        let weights = Some(self.imported.weights.clone());
        to_js(&compare_weighted(&req, &[], weights)?.with_charts())
    }
}
