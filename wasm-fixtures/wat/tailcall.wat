;; Tail calls: return_call and return_call_indirect.
;; The parent of a tail-called function is the function that executed the return_call.
;; features: tail_call
(module
  (type $unop (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $halve $triple_plus_one)

  ;; n + (n-1) + ... + 1 + acc, one frame however large n is
  (func $count_down (export "count_down") (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $count_down
              (i32.sub (local.get $n) (i32.const 1))
              (i32.add (local.get $acc) (local.get $n))))))

  (func $even_tc (export "even_tc") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else (return_call $odd_tc (i32.sub (local.get $n) (i32.const 1))))))

  (func $odd_tc (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call $even_tc (i32.sub (local.get $n) (i32.const 1))))))

  (func $halve (param $x i32) (result i32) (i32.shr_u (local.get $x) (i32.const 1)))
  (func $triple_plus_one (param $x i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.const 1)))

  ;; one Collatz step: table[x & 1](x), as a tail call
  (func $step (export "step") (param $x i32) (result i32)
    (return_call_indirect (type $unop) (local.get $x) (i32.and (local.get $x) (i32.const 1))))

  ;; number of Collatz steps from x down to 1
  (func $collatz (export "collatz") (param $x i32) (param $steps i32) (result i32)
    (if (result i32) (i32.le_u (local.get $x) (i32.const 1))
      (then (local.get $steps))
      (else (return_call $collatz (call $step (local.get $x)) (i32.add (local.get $steps) (i32.const 1))))))

  ;; a return_call whose argument itself calls
  (func $tail_of_call (export "tail_of_call") (param $x i32) (result i32)
    (return_call $triple_plus_one (call $halve (local.get $x))))

  ;; a return_call_indirect whose table index is computed by a call
  (func $tail_indirect_of_call (export "tail_indirect_of_call") (param $x i32) (result i32)
    (return_call_indirect (type $unop) (local.get $x) (call $halve (local.get $x))))
)
