/* A tiny stack-machine bytecode interpreter: a switch dispatch loop, binary
 * operators called through a table of function pointers, and CALL opcodes
 * that recurse into the interpreter.
 * usage: interp [N]  -> runs fib(N) (default 15) and sum(1..N*10) in bytecode */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

enum { PUSH, ARG, ADD, SUB, MUL, LT, JZ, JMP, CALL, RET, DUP, DROP, STORE, LOAD, HALT };

typedef int (*binop_fn)(int, int);
static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
static int op_lt(int a, int b) { return a < b; }
static binop_fn binops[] = {op_add, op_sub, op_mul, op_lt};

/* function table: entry points into `code` */
static const int fib_code[] = {
  /* 0: fib(n) = n < 2 ? n : fib(n-1) + fib(n-2) */
  ARG, PUSH, 2, LT, JZ, 8, ARG, RET,
  /* 8 */ ARG, PUSH, 1, SUB, CALL, 0,
  ARG, PUSH, 2, SUB, CALL, 0,
  ADD, RET,
};

static const int sum_code[] = {
  /* sum(n): acc = 0; i = n; while (0 < i) { acc += i; i -= 1 } return acc   (locals in slots 0, 1) */
  PUSH, 0, STORE, 0, ARG, STORE, 1,
  /* 7: loop */ PUSH, 0, LOAD, 1, LT, JZ, 30,
  LOAD, 0, LOAD, 1, ADD, STORE, 0,
  LOAD, 1, PUSH, 1, SUB, STORE, 1,
  JMP, 7,
  /* 30 */ LOAD, 0, RET,
};

static long steps;

NOINLINE static int run(const int *code, int entry, int arg, int depth) {
  int stack[64];
  int locals[4] = {0, 0, 0, 0};
  int sp = 0, pc = entry;
  if (depth > 200) {
    fprintf(stderr, "too deep\n");
    exit(4);
  }
  for (;;) {
    steps++;
    int op = code[pc++];
    switch (op) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case ARG: stack[sp++] = arg; break;
      case ADD: case SUB: case MUL: case LT: {
        int b = stack[--sp], a = stack[--sp];
        stack[sp++] = binops[op - ADD](a, b);
        break;
      }
      case JZ: { int t = code[pc++]; if (stack[--sp] == 0) pc = t; break; }
      case JMP: pc = code[pc]; break;
      case CALL: { int f = code[pc++]; int a = stack[--sp]; stack[sp++] = run(code, f, a, depth + 1); break; }
      case RET: return stack[--sp];
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case DROP: sp--; break;
      case STORE: locals[code[pc++]] = stack[--sp]; break;
      case LOAD: stack[sp++] = locals[code[pc++]]; break;
      case HALT: return sp > 0 ? stack[sp - 1] : 0;
      default: fprintf(stderr, "bad opcode %d at %d\n", op, pc - 1); exit(5);
    }
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 15;
  int f = run(fib_code, 0, n, 0);
  printf("fib(%d) = %d\n", n, f);
  int s = run(sum_code, 0, n * 10, 0);
  printf("sum(1..%d) = %d\n", n * 10, s);
  printf("steps = %ld\n", steps);
  return 0;
}
