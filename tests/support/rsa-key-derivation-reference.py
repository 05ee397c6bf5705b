#!/usr/bin/env python3
# Independent re-implementation of the RSA key derivation construction, written from the
# text in interceptor/forge/rsa-key-derivation.h (not from the C++ code). It regenerates and
# checks the pinned values in tests/rsa-key-derivation-test.cc:
#   python3 tests/support/rsa-key-derivation-reference.py "mitmlab pinned seed" 1024 3
# prints the SHA-256 of the modulus (big-endian, no leading zeros). Slow (pure Python), exact.
import hashlib, struct, sys
def H(*parts): return hashlib.sha256(b''.join(parts)).digest()
def u32(v): return struct.pack('>I', v)
def u64(v): return struct.pack('>Q', v)
SMALL=[i for i in range(3,1<<14,2) if all(i%d for d in range(3,int(i**0.5)+1,2))]
def derive(seed, bits, e):
    K=H(b"mitmlab/rsa-key-derivation/v1", b"\0", u32(bits), u64(e), u64(len(seed)), seed)
    state={'ctr':0,'buf':b''}
    def read(n):
        while len(state['buf'])<n:
            state['buf']+=H(K,u64(state['ctr'])); state['ctr']+=1
        out=state['buf'][:n]; state['buf']=state['buf'][n:]; return out
    k=bits//2; t=5 if k==1024 else (4 if k>=1536 else 7)
    def witness(c,r):
        Hc=H(K,b"witness",c.to_bytes(k//8,'big'))
        w=b''; j=0
        while len(w)<k//8: w+=H(Hc,u32(r),u32(j)); j+=1
        w=int.from_bytes(w[:k//8],'big') & ~(1<<(k-1))
        return 2 if w<2 else w
    def mr(c):
        m=c-1; a=0
        while m%2==0: m//=2; a+=1
        for r in range(t):
            y=pow(witness(c,r),m,c)
            if y==1 or y==c-1: continue
            for _ in range(a-1):
                y=y*y%c
                if y==c-1: break
                if y==1: return False
            else: return False
        return True
    def prime():
        while True:
            X=int.from_bytes(read(k//8),'big') | (3<<(k-2)) | 1
            c=X
            while c < (1<<k):
                if all(c%s for s in SMALL) and c%e!=1 and mr(c): return c
                c+=2
    p=prime()
    while True:
        q=prime()
        if abs(p-q).bit_length() <= k-100: continue
        from math import gcd
        l=(p-1)*(q-1)//gcd(p-1,q-1); d=pow(e,-1,l)
        if d.bit_length() <= k: continue
        break
    if p<q: p,q=q,p
    return p*q
n=derive(sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3]))
print(hashlib.sha256(n.to_bytes((n.bit_length()+7)//8,'big')).hexdigest())
