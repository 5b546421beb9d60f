/** Binary elementwise ops with numpy broadcasting; gradients are summed back over stretched axes. */
import { Tensor, elementwise, full, sumTo, mapUnary } from '../../tensor/index.js';
import { record } from '../graph.js';

export type Operand = Tensor | number;

/** Both operands as tensors; a number becomes a scalar of the other operand's dtype. */
function operands(what: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${what}(): at least one operand must be a Tensor`);
  const A = typeof a === 'number' ? full([], a, (b as Tensor).dtype) : a;
  const B = typeof b === 'number' ? full([], b, A.dtype) : b;
  return [A, B];
}

// d(a+b)/da = 1, d(a+b)/db = 1
export function add(a: Operand, b: Operand): Tensor {
  const [A, B] = operands('add', a, b);
  return record(elementwise('add', A, B), 'add', [A, B], (g, needs) => [
    needs[0] ? sumTo(g, A.shape) : null,
    needs[1] ? sumTo(g, B.shape) : null,
  ]);
}

// d(a−b)/da = 1, d(a−b)/db = −1
export function sub(a: Operand, b: Operand): Tensor {
  const [A, B] = operands('sub', a, b);
  return record(elementwise('sub', A, B), 'sub', [A, B], (g, needs) => [
    needs[0] ? sumTo(g, A.shape) : null,
    needs[1] ? mapUnary('neg', sumTo(g, B.shape)) : null,
  ]);
}

// d(a·b)/da = b, d(a·b)/db = a
export function mul(a: Operand, b: Operand): Tensor {
  const [A, B] = operands('mul', a, b);
  return record(elementwise('mul', A, B), 'mul', [A, B], (g, needs) => [
    needs[0] ? sumTo(elementwise('mul', g, B), A.shape) : null,
    needs[1] ? sumTo(elementwise('mul', g, A), B.shape) : null,
  ]);
}

// d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −(a/b)/b
export function div(a: Operand, b: Operand): Tensor {
  const [A, B] = operands('div', a, b);
  const out = elementwise('div', A, B);
  return record(out, 'div', [A, B], (g, needs) => {
    const gb = needs[0] || needs[1] ? elementwise('div', g, B) : null;
    return [
      needs[0] ? sumTo(gb!, A.shape) : null,
      needs[1] ? sumTo(mapUnary('neg', elementwise('mul', gb!, out)), B.shape) : null,
    ];
  });
}
