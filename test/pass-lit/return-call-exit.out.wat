(module
 (type $0 (func (param i32 i32)))
 (type $1 (func (param i32) (result i32)))
 (type $2 (func (param i32)))
 (import "ftrace" "mcount" (func $ftrace.mcount (type $0) (param i32 i32)))
 (import "ftrace" "mcount_exit" (func $ftrace.mcount_exit (type $2) (param i32)))
 (global $wasm-ftrace$parent (mut i64) (i64.const -1))
 (global $wasm-ftrace$guard0 (mut i32) (i32.const 3))
 (global $wasm-ftrace$exit_guard0 (mut i32) (i32.const 3))
 (export "tail" (func $tail))
 (export "__ftrace_control" (func $2))
 (func $callee (type $1) (param $0 i32) (result i32)
  (local $1 i64)
  (local $2 i32)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 1)
   )
   (then
    (local.set $1
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 0)
     (select
      (i32.wrap_i64
       (local.get $1)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $1)
         (i64.const 32)
        )
       )
       (i32.const 0)
      )
     )
    )
   )
  )
  (local.set $2
   (block (result i32)
    (i32.mul
     (local.get $0)
     (i32.const 2)
    )
   )
  )
  (if
   (i32.and
    (global.get $wasm-ftrace$exit_guard0)
    (i32.const 1)
   )
   (then
    (call $ftrace.mcount_exit
     (i32.const 0)
    )
   )
  )
  (local.get $2)
 )
 (func $tail (type $1) (param $0 i32) (result i32)
  (local $1 i64)
  (local $2 i32)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 2)
   )
   (then
    (local.set $1
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 1)
     (select
      (i32.wrap_i64
       (local.get $1)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $1)
         (i64.const 32)
        )
       )
       (i32.const 1)
      )
     )
    )
   )
  )
  (local.set $2
   (block $block (result i32)
    (if
     (i32.eqz
      (local.get $0)
     )
     (then
      (br $block
       (i32.const 0)
      )
     )
    )
    (if
     (i32.and
      (global.get $wasm-ftrace$exit_guard0)
      (i32.const 2)
     )
     (then
      (call $ftrace.mcount_exit
       (i32.const 1)
      )
     )
    )
    (global.set $wasm-ftrace$parent
     (i64.const 1)
    )
    (return_call $callee
     (local.get $0)
    )
   )
  )
  (if
   (i32.and
    (global.get $wasm-ftrace$exit_guard0)
    (i32.const 2)
   )
   (then
    (call $ftrace.mcount_exit
     (i32.const 1)
    )
   )
  )
  (local.get $2)
 )
 (func $2 (type $0) (param $0 i32) (param $1 i32)
  (if
   (i32.eq
    (local.get $0)
    (i32.const -1)
   )
   (then
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (return)
   )
  )
  (if
   (i32.eq
    (local.get $0)
    (i32.const 0)
   )
   (then
    (global.set $wasm-ftrace$guard0
     (local.get $1)
    )
    (return)
   )
  )
  (if
   (i32.eq
    (local.get $0)
    (i32.const 1)
   )
   (then
    (global.set $wasm-ftrace$exit_guard0
     (local.get $1)
    )
    (return)
   )
  )
 )
 ;; custom section "wasm-ftrace", size 150, contents: "{\"version\":1,\"functionCount\":2,\"importCount\":0,\"data\":null,\"names\":[\"callee\",\"tail\"],\"moduleName\":null,\"traced\":[0,1],\"guardWords\":1,\"exitHooks\":true}"
)
