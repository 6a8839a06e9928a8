import { syntheticTable } from './train.js';
import { buildDesignMatrix, fitFeatureEncodings } from '../src/train/preprocess.js';
import { logisticObjective } from '../src/train/logistic-regression.js';
import { readBinaryTarget } from '../src/train/binary-target.js';
const n=1_000_000; const t=syntheticTable(n,42);
const rows=new Uint32Array(n).map((_,i)=>i);
const enc=fitFeatureEncodings(t,t.columns.map(c=>c.name).filter(x=>x!=='label'),rows,1);
const d=buildDesignMatrix(t,enc,rows); const y=readBinaryTarget(t,'label',rows);
const th=new Float64Array(d.width+1).map(()=>0.01);
function time(name:string, f:(p:Float64Array)=>unknown){ for(let r=0;r<2;r++){const s=performance.now(); for(let k=0;k<10;k++) f(th); console.log(name,((performance.now()-s)/10).toFixed(1),'ms/eval');}}
time('current', logisticObjective(d,y,1));
// only exp, no log1p
function variant(useLog: number) {
  const { rowCount, width, numeric, numericCount, numericColumn, hot, categoricalCount } = d;
  const hot2 = Int32Array.from(hot, h => h < 0 ? width + 1 : h);
  const gradient = new Float64Array(width + 2); const w = new Float64Array(numericCount); const gn = new Float64Array(numericCount);
  const ext = new Float64Array(width+2);
  return (p: Float64Array) => {
    for (let j=0;j<numericCount;j++) w[j]=p[numericColumn[j]!]!;
    ext.set(p); ext[width+1]=0; gn.fill(0); gradient.fill(0);
    const b=p[width]!; let loss=0, gb=0;
    for (let i=0, base=0, hb=0; i<rowCount; i++, base+=numericCount, hb+=categoricalCount) {
      let m=b;
      for (let j=0;j<numericCount;j++) m+=numeric[base+j]!*w[j]!;
      for (let k=0;k<categoricalCount;k++) m+=ext[hot2[hb+k]!]!;
      const s=Math.exp(-Math.abs(m)); const l=y[i]!;
      loss += (m>0?m:0) + (useLog===0? Math.log1p(s) : useLog===1? Math.log(1+s) : s) - l*m;
      const pr = m>=0? 1/(1+s) : s/(1+s); const r=pr-l; gb+=r;
      for (let j=0;j<numericCount;j++) gn[j]=gn[j]!+r*numeric[base+j]!;
      for (let k=0;k<categoricalCount;k++) { const c=hot2[hb+k]!; gradient[c]=gradient[c]!+r; }
    }
    return loss+gb;
  };
}
time('branchless log1p', variant(0));
time('branchless log', variant(1));
time('branchless nolog', variant(2));
function colMajor(B: number) {
  const { rowCount: n, width, numeric, numericCount: p, numericColumn, hot, categoricalCount: c } = d;
  const X = new Float64Array(n*p); for (let i=0;i<n;i++) for (let j=0;j<p;j++) X[j*n+i]=numeric[i*p+j]!;
  const H = new Int32Array(n*c); for (let i=0;i<n;i++) for (let k=0;k<c;k++) { const h=hot[i*c+k]!; H[k*n+i]= h<0? width+1 : h; }
  const gradient = new Float64Array(width + 2); const w = new Float64Array(p); const gn = new Float64Array(p);
  const ext = new Float64Array(width+2); const m = new Float64Array(B); const r = new Float64Array(B);
  return (par: Float64Array) => {
    for (let j=0;j<p;j++) w[j]=par[numericColumn[j]!]!;
    ext.set(par); ext[width+1]=0; gn.fill(0); gradient.fill(0);
    const b=par[width]!; let loss=0, gb=0;
    for (let start=0; start<n; start+=B) {
      const len = Math.min(B, n-start);
      m.fill(b);
      for (let j=0;j<p;j++) { const wj=w[j]!; const off=j*n+start; for (let i=0;i<len;i++) m[i]=m[i]!+X[off+i]!*wj; }
      for (let k=0;k<c;k++) { const off=k*n+start; for (let i=0;i<len;i++) m[i]=m[i]!+ext[H[off+i]!]!; }
      for (let i=0;i<len;i++) { const mi=m[i]!; const s=Math.exp(-Math.abs(mi)); const l=y[start+i]!;
        loss += (mi>0?mi:0)+Math.log1p(s)-l*mi; const pr = mi>=0? 1/(1+s) : s/(1+s); const ri=pr-l; r[i]=ri; gb+=ri; }
      for (let j=0;j<p;j++) { let acc=0; const off=j*n+start; for (let i=0;i<len;i++) acc+=r[i]!*X[off+i]!; gn[j]=gn[j]!+acc; }
      for (let k=0;k<c;k++) { const off=k*n+start; for (let i=0;i<len;i++) { const h=H[off+i]!; gradient[h]=gradient[h]!+r[i]!; } }
    }
    return loss+gb;
  };
}
time('colmajor 1024', colMajor(1024));
time('colmajor 4096', colMajor(4096));
time('branchless log1p', variant(0));
