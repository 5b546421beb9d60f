import { Tensor } from '../tensor/index.js';

/** The same data as a constant: no node, no requiresGrad (shares storage). */
export function detach(x: Tensor): Tensor {
  return new Tensor(x.data, x.shape);
}
