import type { Tensor } from '../tensor/index.js';
import { mseLoss } from '../autograd/index.js';
import { Module } from './module.js';

/** Mean squared error over all elements, as torch.nn.MSELoss() (reduction 'mean'). */
export class MSELoss extends Module {
  forward(pred: Tensor, target: Tensor): Tensor {
    return mseLoss(pred, target);
  }
}
