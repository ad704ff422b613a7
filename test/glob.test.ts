import { describe, expect, it } from 'vitest';
import { compileGlob } from '../src/abi/glob.js';

const names = ['main', 'malloc', 'free', 'fib', 'fib_memo', 'do_fib', 'str_fib_x', '__wasm_call_ctors', 'a.b', 'func[12]'];
const match = (p: string) => names.filter((n) => compileGlob(p).test(n));

describe('ftrace glob syntax', () => {
  it('matches a name exactly', () => {
    expect(compileGlob('fib').kind).toBe('full');
    expect(match('fib')).toEqual(['fib']);
  });
  it('matches a prefix, a suffix and a substring', () => {
    expect(compileGlob('fib*').kind).toBe('front');
    expect(match('fib*')).toEqual(['fib', 'fib_memo']);
    expect(compileGlob('*fib').kind).toBe('end');
    expect(match('*fib')).toEqual(['fib', 'do_fib']);
    expect(compileGlob('*fib*').kind).toBe('middle');
    expect(match('*fib*')).toEqual(['fib', 'fib_memo', 'do_fib', 'str_fib_x']);
  });
  it('falls back to a full glob for a*b, ? and classes', () => {
    expect(compileGlob('m*c').kind).toBe('glob');
    expect(match('m*c')).toEqual(['malloc']);
    expect(match('f??')).toEqual(['fib']);
    expect(match('[fm]a*')).toEqual(['main', 'malloc']);
    expect(match('[!fm_]*')).toEqual(['do_fib', 'str_fib_x', 'a.b']);
  });
  it('treats regex characters literally', () => {
    expect(match('a.b')).toEqual(['a.b']);
    expect(match('func\\[12]')).toEqual(['func[12]']);
    expect(match('*\\[12]')).toEqual(['func[12]']);
    expect(match('*[12]')).toEqual([]);
  });
  it('rejects an empty pattern', () => {
    expect(() => compileGlob('')).toThrow(/empty/);
  });
});
