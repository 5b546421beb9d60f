export type { DType, Storage } from './dtype.js';
export { Tensor, shapeSize } from './tensor.js';
export { empty, zeros, ones, full, tensor, fromStorage, rand, randn } from './create.js';
export type { Backend, ResidentKernels } from './backend/types.js';
export { getBackend, setBackend, withBackend } from './backend/registry.js';
export { jsBackend, gemmReference } from './backend/js.js';
export type { BinaryOp, UnaryOp } from './backend/types.js';
export { erf, erfc, gelu as geluScalar, normalCdf } from './backend/math.js';
export {
  contiguousStrides, broadcastShapes, broadcastStrides, sameShape, astype, elementwise, mapUnary, mapUnaryGrad,
  sumTo, expandTo, normalizeAxes, keptShapeOf, reduceSum, axpyInPlace, clone,
} from './ops.js';
