;; instrument {}
;; call_indirect with a constant slot: the token names that slot of table 0
;; (SLOT_TAG | table << 24 | slot), and the prologue of each function in the
;; table accepts the tokens of its own slots.
(module
  (type $t (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $pick (export "pick") (result i32)
    (call_indirect (type $t) (i32.const 1))))
