// The runtimes of the side-by-side benchmark (scripts/bench/bench.mjs), one adapter
// each, usable in Node and in the browser. An adapter's `load(host, files)` resolves to
// `{ logits(images: Float32Array, n) -> Float32Array }` with all one-time work done
// (module instantiation, model parsing, weight tensors); the timing of `load` is the
// runtime's load time. Every runtime runs on one thread.
//
// host: { importModule(name), bytes(relPath) -> Uint8Array, wasmBase, env: 'node' | 'browser' }
// files: { model: .safetensors path, onnx: .onnx path, json: exported-layers JSON path }

/** This project's wasm package (`Model.logits`, the compiled inference plan). */
export const epim = {
  name: 'epim',
  async load(host, files) {
    const m = await host.importModule('epim');
    // In the browser the glue fetches its .wasm like the peers' loaders do.
    await (host.env === 'browser' ? m.default() : m.default({ module_or_path: host.bytes('www/pkg/epim_bg.wasm') }));
    const model = m.Model.load(host.bytes(files.model));
    if (typeof model.logits === 'function') return { logits: (images, n) => model.logits(images, n) };
    // Older packages without Model.logits: class probabilities image by image.
    const size = images => images.length;
    return {
      logits(images, n) {
        const per = size(images) / n;
        const out = new Float32Array(n * model.classes);
        for (let i = 0; i < n; i++) out.set(model.predict(images.subarray(i * per, (i + 1) * per)), i * model.classes);
        return out;
      },
    };
  },
};

/** onnxruntime-web's wasm backend on the exported ONNX file (`epim export --format onnx`). */
export const ort = {
  name: 'onnxruntime-web',
  async load(host, files) {
    const o = await host.importModule('onnxruntime-web');
    o.env.wasm.numThreads = 1;
    o.env.wasm.proxy = false;
    if (host.env === 'browser') o.env.wasm.wasmPaths = host.wasmBase.ort;
    const session = await o.InferenceSession.create(host.bytes(files.onnx), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    const [c, h, w] = [1, 28, 28];
    return {
      async logits(images, n) {
        const out = await session.run({ images: new o.Tensor('float32', images, [n, c, h, w]) });
        return out.logits.data;
      },
    };
  },
};

/**
 * TensorFlow.js (tfjs-core + the wasm backend, SIMD) running the same network built
 * op by op from the exported layers (`epim export --format json`): NHWC convolutions
 * with the same weights, the same activation fake-quantization (round half away from
 * zero, as floor(y) + (y - floor(y) >= 0.5)), max pooling, flatten in the model's
 * channel-major order, and matMul for dense layers.
 */
export const tfjs = {
  name: 'tfjs-wasm',
  async load(host, files) {
    const tf = await host.importModule('@tensorflow/tfjs-core');
    const wasm = await host.importModule('@tensorflow/tfjs-backend-wasm');
    if (host.env === 'browser') wasm.setWasmPaths(host.wasmBase.tfjs);
    wasm.setThreadsCount?.(1);
    await tf.setBackend('wasm');
    await tf.ready();
    const spec = JSON.parse(new TextDecoder().decode(host.bytes(files.json)));
    const [c0, h0, w0] = spec.input;
    const layers = spec.layers.map((l) => {
      if (l.kind !== 'conv' && l.kind !== 'dense') return l;
      const { c_out: co, c_in: ci, k } = l;
      // OIHW -> HWIO for conv2d; [c_out, c_in] -> [c_in, c_out] for matMul.
      const w = tf.tensor4d(l.weight, [co, ci, k, k]);
      const kernel = l.kind === 'conv' ? tf.transpose(w, [2, 3, 1, 0]) : tf.transpose(tf.reshape(w, [co, ci]));
      w.dispose();
      const act = l.act && {
        inv: tf.scalar(l.act.scale > 0 ? 1 / l.act.scale : 0),
        scale: tf.scalar(l.act.scale),
        qmax: l.act.scale > 0 ? 2 ** l.act.bits - 1 : 0,
      };
      return { ...l, kernel, bias: tf.tensor1d(l.bias), act };
    });
    const fakeQuant = (x, a) => {
      if (a.qmax === 0) return tf.zerosLike(x);
      const y = tf.mul(x, a.inv);
      const t = tf.floor(y);
      const r = tf.add(t, tf.cast(tf.greaterEqual(tf.sub(y, t), 0.5), 'float32'));
      return tf.mul(tf.clipByValue(r, 0, a.qmax), a.scale);
    };
    const forward = (images, n) =>
      tf.tidy(() => {
        // NCHW input -> NHWC.
        let x = tf.transpose(tf.tensor4d(images, [n, c0, h0, w0]), [0, 2, 3, 1]);
        let flat = false;
        for (const l of layers) {
          if (l.kind === 'conv') {
            if (l.act) x = fakeQuant(x, l.act);
            const p = l.padding;
            const pad = p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
            x = tf.add(tf.conv2d(x, l.kernel, l.stride, pad), l.bias);
          } else if (l.kind === 'dense') {
            if (!flat) {
              x = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, -1]);
              flat = true;
            }
            if (l.act) x = fakeQuant(x, l.act);
            x = tf.add(tf.matMul(x, l.kernel), l.bias);
          } else if (l.kind === 'relu') {
            x = tf.relu(x);
          } else if (l.kind === 'max_pool') {
            x = tf.maxPool(x, l.k, l.k, 'valid');
          } else if (l.kind === 'flatten') {
            if (!flat) {
              x = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, -1]);
              flat = true;
            }
          } else {
            throw new Error(`tfjs: unknown layer kind ${l.kind}`);
          }
        }
        return flat ? x : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, -1]);
      });
    return {
      async logits(images, n) {
        const out = forward(images, n);
        const data = await out.data();
        out.dispose();
        return data;
      },
    };
  },
};

/**
 * tract-core compiled to wasm (the page's on-demand module www/pkg-onnx, Try it's engine
 * "tract-core"): the crate's tract graph of the same model file (crate/src/model/tract.rs),
 * optimized once at load, batches of 64 on a fixed-batch plan.
 */
export const tract = {
  name: 'tract-core',
  async load(host, files) {
    const m = await host.importModule('epim-onnx');
    await (host.env === 'browser' ? m.default() : m.default({ module_or_path: host.bytes('www/pkg-onnx/epim_onnx_bg.wasm') }));
    const model = m.TractModel.load(host.bytes(files.model));
    return { logits: (images, n) => model.logits(images, n) };
  },
};

export const runtimes = { epim, ort, tfjs, tract };
