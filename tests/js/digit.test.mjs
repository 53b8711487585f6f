import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess, inkBounds, inkFromRgba, SIDE } from '../../www/js/digit.js';

function blank(w, h) {
  return new Float32Array(w * h);
}
function rect(ink, w, x0, y0, x1, y1) {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * w + x] = 1;
}
function massCentre(img) {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const v = img[y * SIDE + x]; m += v; mx += v * x; my += v * y;
  }
  return [mx / m, my / m];
}

test('nothing drawn gives null', () => {
  assert.equal(preprocess(blank(100, 100), 100, 100), null);
  assert.equal(inkBounds(blank(5, 5), 5, 5), null);
});

test('a tall stroke in a corner is scaled to 20 px high and centred by mass', () => {
  const w = 200, h = 200;
  const ink = blank(w, h);
  rect(ink, w, 10, 10, 30, 90); // 20 x 80 bar at top left
  const img = preprocess(ink, w, h);
  assert.equal(img.length, 784);
  const b = inkBounds(img, SIDE, SIDE, 0.01);
  assert.equal(b.y1 - b.y0, 20); // the longer side fills the 20 px box
  assert.equal(b.x1 - b.x0, 5); // aspect ratio kept: 20 * 20/80
  const [cx, cy] = massCentre(img);
  assert.ok(Math.abs(cx - 13.5) <= 0.5 && Math.abs(cy - 13.5) <= 0.5, `${cx}, ${cy}`);
  // Area averaging keeps a solid bar solid.
  assert.ok(Math.max(...img) <= 1 && Math.max(...img) > 0.99);
});

test('an off-centre L shape is shifted so its mass centre is at the image centre', () => {
  const w = 120, h = 120;
  const ink = blank(w, h);
  rect(ink, w, 60, 20, 70, 100);
  rect(ink, w, 60, 90, 110, 100);
  const [cx, cy] = massCentre(preprocess(ink, w, h));
  assert.ok(Math.abs(cx - 13.5) <= 0.5 && Math.abs(cy - 13.5) <= 0.5, `${cx}, ${cy}`);
});

test('inkFromRgba reads dark ink on white and light ink on dark', () => {
  const px = new Uint8ClampedArray([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0]);
  assert.deepEqual([...inkFromRgba(px)], [1, 0, 0]);
  assert.deepEqual([...inkFromRgba(px, { inkIsLight: true })], [0, 1, 0]);
});
