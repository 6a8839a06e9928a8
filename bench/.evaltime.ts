import { syntheticTable } from './train.js';
import { buildDesignMatrix, fitFeatureEncodings } from '../src/train/preprocess.js';
import { logisticObjective } from '../src/train/logistic-regression.js';
import { readBinaryTarget } from '../src/train/binary-target.js';
const n=1_000_000; const t=syntheticTable(n,42);
const rows=new Uint32Array(n).map((_,i)=>i);
const enc=fitFeatureEncodings(t,t.columns.map(c=>c.name).filter(x=>x!=='label'),rows,1);
const d=buildDesignMatrix(t,enc,rows); const y=readBinaryTarget(t,'label',rows);
const f=logisticObjective(d,y,1); const th=new Float64Array(d.width+1).map(()=>0.01);
for(let r=0;r<3;r++){const s=performance.now(); for(let k=0;k<10;k++) f(th); console.log(((performance.now()-s)/10).toFixed(1),'ms/eval');}
