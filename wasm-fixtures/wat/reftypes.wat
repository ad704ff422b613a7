;; Reference types: ref.func, select on funcref, table.get/set/grow/size, ref.is_null.
(module
  (type $unop (func (param i32) (result i32)))
  (table $t (export "table") 4 funcref)
  (elem declare func $neg $plus10)

  (func $neg (param $x i32) (result i32) (i32.sub (i32.const 0) (local.get $x)))
  (func $plus10 (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 10)))

  ;; table[slot] = which ? neg : plus10
  (func $install (export "install") (param $slot i32) (param $which i32)
    (table.set $t (local.get $slot)
      (select (result funcref) (ref.func $neg) (ref.func $plus10) (local.get $which))))

  (func $call_slot (export "call_slot") (param $slot i32) (param $x i32) (result i32)
    (call_indirect $t (type $unop) (local.get $x) (local.get $slot)))

  (func $is_set (export "is_set") (param $slot i32) (result i32)
    (i32.eqz (ref.is_null (table.get $t (local.get $slot)))))

  (func $get_slot (param $slot i32) (result funcref) (table.get $t (local.get $slot)))

  ;; table[dst] = table[src], the value coming from a call
  (func $copy_slot (export "copy_slot") (param $dst i32) (param $src i32)
    (table.set $t (local.get $dst) (call $get_slot (local.get $src))))

  (func $grow (export "grow") (param $n i32) (result i32)
    (table.grow $t (ref.func $neg) (local.get $n)))

  (func $size (export "size") (result i32) (table.size $t))
)
