;; The call's last operand is a block of non-nullable type (ref (exact $t))
;; as binaryen reads it (ref.func kept across the drop by its stack-to-tree
;; reader, in a non-nullable scratch local); the pass spills it to a nullable
;; temp to set the caller token after it, and reads it back through
;; ref.as_non_null (0xd4), an opcode Node 20 rejects without GC/typed
;; function references. The original compiles; the instrumented one does not.
(module
  (func $callee (param funcref))
  (func $t)
  (elem declare func $t)
  (func (export "run")
    ref.func $t
    f64.const 0
    drop
    call $callee))
