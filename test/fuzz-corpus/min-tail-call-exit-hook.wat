;; Instrumented with exit hooks, the operand of the tail call is spilled so
;; that mcount_exit can run between it and the call; binaryen reads the
;; operand as a block of non-nullable type (ref (exact $t)) (ref.func kept
;; across the drop by its stack-to-tree reader), the pass spills it to a
;; nullable local and reads it back with ref.as_non_null (0xd4), which Node
;; 20 rejects. The plain pass leaves the call alone (calls to imports set no
;; caller token).
(module
  (import "fuzzing-support" "log-funcref" (func $log (param funcref)))
  (func $t)
  (elem declare func $t)
  (func (export "run")
    ref.func $t
    f64.const 0
    drop
    return_call $log))
