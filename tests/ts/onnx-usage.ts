// A TypeScript user of the on-demand ONNX module (www/pkg-onnx, built by
// scripts/build-wasm.sh): `tsc --noEmit -p tests/ts` type-checks it against the
// generated epim_onnx.d.ts with library checks on, so a type the declarations name but
// do not declare fails here; it also fails if a result it reads is typed `any`.
import initOnnx, { importOnnx, OnnxNetwork } from '../../www/pkg-onnx/epim_onnx.js';

type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? never : true;
const notAny = <T>(_witness: NotAny<T>): void => {};

export async function importAndCompare(bytes: Uint8Array): Promise<number> {
  await initOnnx();
  const spec = importOnnx(bytes, { name: 'mine', wBits: 8 });
  notAny<typeof spec>(true);
  const net = OnnxNetwork.import(bytes);
  const view = net.compare({ baseline: 'dense:bits=32', methods: ['epitome:bits=3,ratio=2'] });
  notAny<typeof view>(true);
  const first = view.rows[0];
  const area: number = first.area_um2;
  const summary = net.summary();
  return area + summary.params + spec.layers.length;
}
