import type { Tensor } from '../tensor/index.js';
import { gelu, relu, sigmoid, silu, tanh } from '../autograd/index.js';
import { Module } from './module.js';

/** GELU, exact erf form (PyTorch's default, approximate='none'); the thesis network's nonlinearity. */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** SiLU (swish): x·σ(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
