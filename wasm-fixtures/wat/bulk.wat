;; Bulk memory: memory.fill, memory.copy, memory.init from a passive segment, data.drop.
(module
  (memory (export "memory") 1)
  (data $hello "hello")
  (data (i32.const 100) "\01\02\03\04")

  (func $byte_at (param $addr i32) (result i32) (i32.load8_u (local.get $addr)))

  ;; acc = acc * 31 + byte, over [off, off+len)
  (func $checksum (export "checksum") (param $off i32) (param $len i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 31))
                   (call $byte_at (i32.add (local.get $off) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func $fill (export "fill") (param $off i32) (param $val i32) (param $len i32)
    (memory.fill (local.get $off) (local.get $val) (local.get $len)))

  (func $copy (export "copy") (param $dst i32) (param $src i32) (param $len i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len)))

  (func $init_hello (export "init_hello") (param $dst i32)
    (memory.init $hello (local.get $dst) (i32.const 0) (i32.const 5)))

  (func $drop_hello (export "drop_hello") (data.drop $hello))

  (func $three (result i32) (i32.const 3))

  ;; fill 3 bytes at 400 with val (the length comes from a call), then checksum them
  (func $fill_then_sum (export "fill_then_sum") (param $val i32) (result i32)
    (call $fill (i32.const 400) (local.get $val) (call $three))
    (call $checksum (i32.const 400) (call $three)))
)
