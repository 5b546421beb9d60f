export type DType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array;

export function dtypeOf(s: Storage): DType {
  return s instanceof Float64Array ? 'float64' : 'float32';
}

export function allocPlain(dtype: DType, size: number): Storage {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}
