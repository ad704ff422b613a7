;; SIMD: v128 parameters, results and call operands (exports take and return scalars).
;; features: simd
(module
  (func $make (param i32 i32 i32 i32) (result v128)
    (i32x4.replace_lane 3
      (i32x4.replace_lane 2
        (i32x4.replace_lane 1 (i32x4.splat (local.get 0)) (local.get 1))
        (local.get 2))
      (local.get 3)))

  (func $vmul (param v128 v128) (result v128) (i32x4.mul (local.get 0) (local.get 1)))

  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; (a0,a1,a2,a3) . (b0,b1,b2,b3)
  (func $dot4 (export "dot4") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $hsum
      (call $vmul
        (call $make (local.get 0) (local.get 1) (local.get 2) (local.get 3))
        (call $make (local.get 4) (local.get 5) (local.get 6) (local.get 7)))))

  (func $reverse8 (param $v v128) (result v128)
    (i8x16.shuffle 7 6 5 4 3 2 1 0 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))

  ;; byte swap of an i64
  (func $bswap64 (export "bswap64") (param $x i64) (result i64)
    (i64x2.extract_lane 0 (call $reverse8 (i64x2.splat (local.get $x)))))

  ;; 4 * x through f32x4 lanes
  (func $splat_sum (export "splat_sum") (param $x f32) (result f32)
    (local $v v128)
    (local.set $v (f32x4.splat (local.get $x)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; v128 through memory: store make(...), load it back and sum it
  (memory 1)
  (func $mem_roundtrip (export "mem_roundtrip") (param $a i32) (result i32)
    (v128.store (i32.const 32)
      (call $make (local.get $a) (i32.const 2) (i32.const 3) (i32.const 4)))
    (call $hsum (v128.load (i32.const 32))))
)
