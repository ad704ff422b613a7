;; instrument {}
;; Legacy exception handling: the catch body's `pop` must stay first, so it
;; is moved into a local before the call that uses it gets its token.
(module
  (tag $e (param i32))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func $handle (param i32) (result i32) (local.get 0))
  (func $guarded (export "guarded") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const 0))
      (catch $e (call $handle (pop i32))))))
