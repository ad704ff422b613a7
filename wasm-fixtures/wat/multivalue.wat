;; Multi-value: functions returning 2 and 3 values, blocks with params and results.
(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (table 1 funcref)
  (elem (i32.const 0) $divmod)

  (func $divmod (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))

  (func $swap3 (export "swap3") (param i32 i32 i32) (result i32 i32 i32)
    (local.get 2) (local.get 1) (local.get 0))

  (func $add2 (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))

  ;; both results of divmod go straight into add2
  (func $divmod_sum (export "divmod_sum") (param $a i32) (param $b i32) (result i32)
    (call $add2 (call $divmod (local.get $a) (local.get $b))))

  ;; (min, max) through a block taking and returning two values
  (func $minmax (export "minmax") (param $a i32) (param $b i32) (result i32 i32)
    (local.get $a) (local.get $b)
    (block $out (param i32 i32) (result i32 i32)
      (br_if $out (i32.le_s (local.get $a) (local.get $b)))
      (drop) (drop)
      (local.get $b) (local.get $a)))

  ;; x*100 + y*10 + z where (x, y, z) = swap3(a, b, c)
  (func $digits (export "digits") (param $a i32) (param $b i32) (param $c i32) (result i32)
    (local $x i32) (local $y i32) (local $z i32)
    (call $swap3 (local.get $a) (local.get $b) (local.get $c))
    (local.set $z) (local.set $y) (local.set $x)
    (i32.add (i32.add (i32.mul (local.get $x) (i32.const 100))
                      (i32.mul (local.get $y) (i32.const 10)))
             (local.get $z)))

  ;; lo, hi and the value itself: (i32, i32, i64)
  (func $split64 (export "split64") (param $v i64) (result i32 i32 i64)
    (i32.wrap_i64 (local.get $v))
    (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32)))
    (local.get $v))

  ;; a multi-value call_indirect inside a block that consumes its results
  (func $indirect_pair (export "indirect_pair") (param $a i32) (param $b i32) (result i32)
    (block (result i32)
      (call_indirect (type $pair) (local.get $a) (local.get $b) (i32.const 0))
      (block (param i32 i32) (result i32)
        (i32.sub))))
)
