;; Legacy exception handling: try/catch with a tag carrying an i32 (the catch
;; body starts with a pop), catch_all, rethrow, and throws from nested calls.
;; features: exceptions
(module
  (tag $err (export "err") (param i32))

  ;; throws err(x*10) when x > 0
  (func $thrower (param $x i32) (result i32)
    (if (i32.gt_s (local.get $x) (i32.const 0))
      (then (throw $err (i32.mul (local.get $x) (i32.const 10)))))
    (local.get $x))
  (func $level_b (param $x i32) (result i32) (i32.add (call $thrower (local.get $x)) (i32.const 1)))
  (func $level_a (export "level_a") (param $x i32) (result i32) (call $level_b (local.get $x)))

  (func $handle (param $v i32) (result i32) (i32.add (local.get $v) (i32.const 5)))
  (func $ten (result i32) (i32.const 10))
  (func $add2 (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $note)

  ;; the caught value goes straight into a call: (call $handle (pop i32))
  (func $catcher (export "catcher") (param $x i32) (result i32)
    (try (result i32)
      (do (call $level_a (local.get $x)))
      (catch $err (call $handle))))

  ;; (call $add2 (pop i32) (call $ten)): the pop is the first operand, a call the last
  (func $catch_mixed (export "catch_mixed") (param $x i32) (result i32)
    (try (result i32)
      (do (call $level_a (local.get $x)))
      (catch $err (call $add2 (call $ten)))))

  (func $catch_all_test (export "catch_all_test") (param $x i32) (result i32)
    (try (result i32)
      (do (call $level_a (local.get $x)))
      (catch_all (call $handle (i32.const 0)))))

  (func $rethrower (param $x i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get $x)))
      (catch $err (drop) (call $note) (rethrow 0))))

  (func $outer_catch (export "outer_catch") (param $x i32) (result i32)
    (try (result i32)
      (do (call $rethrower (local.get $x)))
      (catch $err (call $handle))))
)
