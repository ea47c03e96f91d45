#!/usr/bin/env bash
# End-to-end checks of the built executables (exit codes, output files). Called by `make test`.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pass=0; fail=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
check() { # check NAME COMMAND... — the command must succeed
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then pass=$((pass+1)); else echo "FAIL: $name"; fail=$((fail+1)); fi
}
check_status() { # check_status NAME EXPECTED COMMAND... — the command must exit with EXPECTED
  local name="$1" expected="$2"; shift 2
  local status=0
  "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" -eq "$expected" ]; then pass=$((pass+1)); else echo "FAIL: $name (exit $status, expected $expected)"; fail=$((fail+1)); fi
}
check_json() { # check_json NAME PYTHON-EXPRESSION — evaluated with `d` = the JSON of $work/out
  local name="$1" expr="$2"
  if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($expr) else 1)" "$work/out" 2>/dev/null; then
    pass=$((pass+1)); else echo "FAIL: $name"; sed 's/^/  | /' "$work/out" | head -5; fail=$((fail+1)); fi
}
check_grep() { # check_grep NAME FILE PATTERN — FILE ($work/out or $work/err) must contain PATTERN
  local name="$1" file="$2" pattern="$3"
  if grep -q -- "$pattern" "$file"; then pass=$((pass+1)); else echo "FAIL: $name"; sed 's/^/  | /' "$file" | head -5; fail=$((fail+1)); fi
}

check "delve --help" "$bin/delve" --help
check "delve --version" "$bin/delve" --version

# delve analyze, on files written by the standard library only.
python3 "$here/npy_fixture.py" "$work"
d="$bin/delve"
check_status "analyze rank-3 json" 0 "$d" analyze --format json "$work/rank3.npy"
check_json "analyze rank-3: idim 3, lsat 3/8, samples, name" \
  'd["threshold"] == 0.99 and len(d["layers"]) == 1 and d["layers"][0]["name"] == "rank3" and d["layers"][0]["samples"] == 200 and d["layers"][0]["features"] == 8 and d["layers"][0]["stats"] == {"lsat": 0.375, "idim": 3}'
check_status "analyze small chunks" 0 "$d" analyze --format json --batch-size 7 --stats idim,trc --threshold 0.5 "$work/rank3.npy"
check_json "analyze small chunks: same idim, threshold echoed" \
  'd["threshold"] == 0.5 and isinstance(d["layers"][0]["stats"]["idim"], int) and list(d["layers"][0]["stats"]) == ["idim", "trc"] and d["layers"][0]["stats"]["trc"] > 0'
check_status "analyze conv" 0 "$d" analyze --format json "$work/conv.npy"
check_json "analyze conv channelwise: N·H·W samples, C features" \
  'd["layers"][0]["samples"] == 16 and d["layers"][0]["features"] == 3'
check_status "analyze conv mean" 0 "$d" analyze --format json --conv-method mean "$work/conv.npy"
check_json "analyze conv mean: N samples" 'd["layers"][0]["samples"] == 4 and d["layers"][0]["features"] == 3'
check_status "analyze cov" 0 "$d" analyze --format json --stats cov,idim "$work/dense64.npy"
check_json "analyze cov: 4×4 symmetric matrix" \
  'len(d["layers"][0]["stats"]["cov"]) == 4 and all(len(r) == 4 for r in d["layers"][0]["stats"]["cov"]) and d["layers"][0]["stats"]["cov"][1][2] == d["layers"][0]["stats"]["cov"][2][1]'
check_status "analyze logdet of a singular layer" 0 "$d" analyze --format json --stats logdet "$work/rank3.npy"
check_json "analyze logdet: -inf as a string" 'd["layers"][0]["stats"]["logdet"] == "-inf"'
check_status "analyze float32 precision" 0 "$d" analyze --format json --precision float32 "$work/rank3.npy"
check_json "analyze float32 precision: idim 3" 'd["layers"][0]["stats"]["idim"] == 3'
check_status "analyze downsample flatten" 0 "$d" analyze --format json --conv-method flatten --downsample 1 "$work/conv.npy"
check_json "analyze downsample 1: C·1·1 features" 'd["layers"][0]["samples"] == 4 and d["layers"][0]["features"] == 3'
check_status "analyze timestepwise" 0 "$d" analyze --format json --timeseries-method timestepwise "$work/sample3d.npy"
check_json "analyze timestepwise: N·T samples" 'd["layers"][0]["samples"] == 12 and d["layers"][0]["features"] == 2'
check_status "analyze timestep-observations (timestepwise's name)" 0 "$d" analyze --format json --stats trc --timeseries-method timestep-observations "$work/sample3d.npy"
check_json "analyze timestep-observations: (N·T)×F, population trace 8.375" 'd["layers"][0]["samples"] == 12 and d["layers"][0]["features"] == 2 and abs(d["layers"][0]["stats"]["trc"] - 8.375) < 1e-12'
check_status "analyze flattened-sequence (Delve's timestepwise)" 0 "$d" analyze --format json --stats trc --timeseries-method flattened-sequence "$work/sample3d.npy"
check_json "analyze flattened-sequence: N×(T·F), trace 22.875 of the 4×6 rows" 'd["layers"][0]["samples"] == 4 and d["layers"][0]["features"] == 6 and abs(d["layers"][0]["stats"]["trc"] - 22.875) < 1e-12'
check_status "analyze --help" 0 "$d" analyze --help
check_grep "analyze --help: timestepwise is a deprecated name" "$work/out" "Deprecated: timestepwise"
check_status "analyze table with cov" 0 "$d" analyze --stats idim,cov "$work/rank3.npy"
check_grep "analyze table with cov: says json only" "$work/out" 'only available with --format json'
check_status "analyze csv" 0 "$d" analyze --format csv "$work/rank3.npy" "$work/conv.npy"
check_grep "analyze csv header" "$work/out" '^name,samples,features,lsat,idim$'
check_grep "analyze csv row" "$work/out" '^rank3,200,8,0.375,3$'
check_status "analyze table" 0 "$d" analyze "$work/rank3.npy"
check_grep "analyze table row" "$work/out" 'rank3 *200 *8 *0.3750 *3'
check_status "analyze garbage file" 1 "$d" analyze "$work/garbage.npy"
check_grep "analyze garbage: file named" "$work/err" 'garbage.npy'
check_status "analyze truncated file" 1 "$d" analyze "$work/truncated.npy"
check_grep "analyze truncated: expected vs actual bytes" "$work/err" 'truncated.npy.*160 bytes.*120'
check_status "analyze missing file" 1 "$d" analyze "$work/missing.npy"
check_grep "analyze missing: file named" "$work/err" 'missing.npy'
check_status "analyze 1-D file" 1 "$d" analyze "$work/vector.npy"
check_grep "analyze 1-D: shape named" "$work/err" 'vector.npy.*\[3\]'
check_status "analyze NaN" 1 "$d" analyze "$work/nan.npy"
check_grep "analyze NaN: file and value named" "$work/err" 'nan.npy.*non-finite'
check_status "analyze NaN --skip-bad-batches" 0 "$d" analyze --skip-bad-batches --batch-size 1 --stats trc --format json "$work/nan.npy"
check_json "analyze NaN skipped: the NaN row's chunk is left out and counted" \
  'd["layers"][0]["samples"] == 2 and d["layers"][0]["skipped_batches"] == 1 and abs(d["layers"][0]["stats"]["trc"] - 8.0) < 1e-12'
check_status "analyze good and bad files" 1 "$d" analyze --format json "$work/rank3.npy" "$work/garbage.npy" "$work/conv.npy"
check_json "analyze good and bad: the good ones are reported" '[l["name"] for l in d["layers"]] == ["rank3", "conv"]'
check_status "analyze unknown stat" 64 "$d" analyze --stats lsat,bogus "$work/rank3.npy"
check_grep "analyze unknown stat: named" "$work/err" 'bogus'
check_status "analyze threshold out of range" 64 "$d" analyze --threshold 1.5 "$work/rank3.npy"
check_status "analyze bad conv method" 64 "$d" analyze --conv-method average "$work/conv.npy"
check_status "analyze no files" 64 "$d" analyze

# The hidden sample command writes layers with known spectra.
check_status "sample" 0 "$d" sample "$work/sample"
check_status "analyze sample" 0 "$d" analyze --format json "$work/sample/fc1_bottleneck.npy" "$work/sample/fc2_decaying.npy" "$work/sample/fc3_uniform.npy" "$work/sample/conv1.npy" "$work/sample/lstm1.npy"
check_json "analyze sample: known idim 3, 7, 16, 2, 4" '[l["stats"]["idim"] for l in d["layers"]] == [3, 7, 16, 2, 4]'
check_status "analyze sample, delve convention" 0 "$d" analyze --format json --compat delve "$work/sample/fc1_bottleneck.npy"
check_json "analyze sample, delve convention: an integer idim" 'isinstance(d["layers"][0]["stats"]["idim"], int)'

# delve report: a synthetic sample run with every file writer, then regeneration; a missing run fails.
report_tmp="$(mktemp -d)"
check "delve report --sample writes a run" "$bin/delve" report --sample "$report_tmp/run" --epochs 2 --writers csv,jsonl,npy,plot,report
check "sample run has its files" test -s "$report_tmp/run/statistics.csv" -a -s "$report_tmp/run/plots/saturation.png" -a -s "$report_tmp/run/npy/train/conv1/epoch1-eigenvalues.npy"
check "delve report regenerates" "$bin/delve" report "$report_tmp/run" -o "$report_tmp/again.html"
check "delve report fails on a missing run" bash -c "! '$bin/delve' report '$report_tmp/nothing'"
check "delve rethreshold" "$bin/delve" rethreshold "$report_tmp/run" --threshold 0.9
check "rethreshold csv written" test -s "$report_tmp/run/statistics-threshold-0.9.csv"
check "delve rethreshold rejects δ > 1" bash -c "! '$bin/delve' rethreshold '$report_tmp/run' --threshold 1.5"
rm -rf "$report_tmp"

# A run recorded by Delve 0.1.50 itself (Tests/Fixtures/delve-0.1.50-run: tiny.csv beside tiny/, the csv and
# npy writers, stats lsat, idim, cov): report and rethreshold read it, by the .csv, the folder or the parent.
delve_tmp="$(mktemp -d)"
cp -R "$here/../Tests/Fixtures/delve-0.1.50-run/." "$delve_tmp/"
check_status "report of a Delve run (by its .csv)" 0 "$bin/delve" report "$delve_tmp/tiny.csv"
check_grep "report of a Delve run: names the page" "$work/out" "tiny/report.html (2 epochs of the Delve 0.1.50 run"
check_grep "report of a Delve run: layer fc1 with D = 6 from its covariance" "$delve_tmp/tiny/report.html" '<td class="name">fc1</td><td class="text">train</td><td>6</td>'
check_grep "report of a Delve run: layer fc2" "$delve_tmp/tiny/report.html" '<td class="name">fc2</td><td class="text">eval</td><td>3</td>'
check_grep "report of a Delve run: Delve's lsat of fc1" "$delve_tmp/tiny/report.html" '<span>0.500</span>'
check_grep "report of a Delve run: says what Delve did not record" "$delve_tmp/tiny/report.html" "not in Delve&apos;s files</th><td>δ (shown as Delve&apos;s default, 0.99), sample counts (shown as 0)<"
check_status "report of a Delve run (by its folder)" 0 "$bin/delve" report "$delve_tmp/tiny" -o "$delve_tmp/by-folder.html"
check_status "report of a Delve run (by the parent folder)" 0 "$bin/delve" report "$delve_tmp" -o "$delve_tmp/by-parent.html"
check "report of a Delve run: same page by .csv, folder and parent (but the footer's links, relative to each page)" bash -c "diff <(grep -v -e Generated -e '<footer>' '$delve_tmp/tiny/report.html') <(grep -v -e Generated -e '<footer>' '$delve_tmp/by-folder.html') && diff <(grep -v -e Generated -e '<footer>' '$delve_tmp/by-folder.html') <(grep -v -e Generated -e '<footer>' '$delve_tmp/by-parent.html')"
check_grep "report of a Delve run: the footer links its CSV and folder" "$delve_tmp/by-folder.html" '<footer>The run.s files: <a href="tiny.csv">tiny.csv</a>, <a href="tiny/">tiny/</a>.'
check "report of a Delve run: no link to files it does not have" bash -c "! grep -q 'statistics.jsonl' '$delve_tmp/tiny/report.html'"
check_status "rethreshold a Delve run at its δ, Delve's convention" 0 "$bin/delve" rethreshold "$delve_tmp/tiny" --threshold 0.99 --compat delve
# Recomputed from Delve's covariance matrices, the values equal the ones Delve wrote into its CSV.
check "rethreshold at Delve's δ equals Delve's CSV" python3 -c "
import csv, sys
read = lambda p: list(csv.DictReader(open(p), delimiter=';'))
delve, ours = read(sys.argv[1]), read(sys.argv[2])
keys = [k for k in delve[0] if 'saturation' in k or 'intrinsic' in k]
assert len(keys) == 8 and len(delve) == len(ours) == 2, (keys, len(ours))
assert all(float(a[k]) == float(b[k]) for a, b in zip(delve, ours) for k in keys), (delve, ours)
assert [r['train-loss'] for r in delve] == [r['train-loss'] for r in ours]
" "$delve_tmp/tiny.csv" "$delve_tmp/tiny-threshold-0.99.csv"
# δ = 0.8 (Delve's compute_saturation on the same matrices gives train fc1 1/6, eval fc1 2/6; the paper's count is one more).
check_status "rethreshold a Delve run at δ = 0.8" 0 "$bin/delve" rethreshold "$delve_tmp/tiny.csv" --threshold 0.8 --compat delve -o "$delve_tmp/t08.csv"
check "rethreshold at δ = 0.8: Delve's values" python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter=';'))
assert [float(r['train-intrinsic-dimensionality_fc1']) for r in rows] == [1, 1], rows
assert [float(r['eval-intrinsic-dimensionality_fc1']) for r in rows] == [2, 2], rows
assert abs(float(rows[0]['train-saturation_fc1']) - 1 / 6) < 1e-12, rows
" "$delve_tmp/t08.csv"
check_status "rethreshold a Delve run at δ = 0.8, paper" 0 "$bin/delve" rethreshold "$delve_tmp" --threshold 0.8 -o "$delve_tmp/t08p.csv"
check "rethreshold at δ = 0.8, paper: one more" python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter=';'))
assert [float(r['train-intrinsic-dimensionality_fc1']) for r in rows] == [2, 2] and float(rows[1]['eval-intrinsic-dimensionality_fc2']) == 2, rows
" "$delve_tmp/t08p.csv"
rm -rf "$delve_tmp/tiny/_train-covariance-matrix_fc1" "$delve_tmp/tiny/_train-covariance-matrix_fc2" "$delve_tmp/tiny/_eval-covariance-matrix_fc1" "$delve_tmp/tiny/_eval-covariance-matrix_fc2"
check_status "rethreshold a Delve run without covariance matrices fails" 1 "$bin/delve" rethreshold "$delve_tmp/tiny.csv" --threshold 0.9
check_grep "rethreshold without covariance matrices: names the folder and what is needed" "$work/err" "^error: .*/tiny: this Delve run has no covariance matrices.*stats including 'cov'"
rm "$delve_tmp/tiny.csv"
check_status "report of a Delve npy folder without its CSV fails" 1 "$bin/delve" report "$delve_tmp/tiny"
check_grep "report without Delve's CSV: names the missing tiny.csv" "$work/err" "^error: .*/tiny.csv: no such file: .*reconstruct_csv_from_npy_data"
rm -rf "$delve_tmp"

# delve merge: four processes each accumulate a quarter of a dataset and save their state; merging the
# states equals analyzing the whole file in one process.
mkdir -p "$work/states"
"$d" analyze --save-state "$work/rank3-state" "$work/rank3.npy" >/dev/null 2>&1
for k in 0 1 2 3; do "$d" analyze --save-state "$work/states" --format json "$work/part$k.npy" >/dev/null 2>&1 & done
wait
check "analyze --save-state wrote four states" test -s "$work/states/part0.state" -a -s "$work/states/part3.state"
check_status "analyze the whole file" 0 "$d" analyze --format json --stats lsat,idim,trc,erank,logdet "$work/whole.npy"
cp "$work/out" "$work/whole.json"
check_status "merge four states" 0 "$d" merge --format json --stats lsat,idim,trc,erank,logdet -o "$work/merged.state" "$work"/states/part*.state
check "merge equals one process (samples, idim exact; trc, erank, logdet to 1e-9)" python3 -c "
import json,sys
a=json.load(open('$work/whole.json'))['layers'][0]; b=json.load(open('$work/out'))['layers'][0]
assert a['samples']==b['samples']==400 and a['features']==b['features']==6, (a,b)
assert a['stats']['idim']==b['stats']['idim'] and a['stats']['lsat']==b['stats']['lsat'], (a,b)
for k in ('trc','erank','logdet'):
    x,y=a['stats'][k],b['stats'][k]
    assert abs(x-y)<=1e-9*max(1,abs(x)), (k,x,y)
"
check "merge wrote the merged state" test -s "$work/merged.state"
check_status "merge: a state of another width fails" 1 "$d" merge "$work/merged.state" "$work/rank3-state/rank3.state"
check_status "merge: a file that is not a state fails" 1 "$d" merge "$work/merged.state" "$work/garbage.npy"
check_grep "merge: the error names the file" "$work/err" 'garbage.npy'
check_status "merge: no files is a usage error" 64 "$d" merge
# The same for linear CKA: analyze --cka --save-state on each quarter writes the joint state cka.state; merging
# the four equals --cka on the whole files.
check_status "analyze --cka on the whole files" 0 "$d" analyze --cka --format json "$work/whole.npy" "$work/other.npy"
cp "$work/out" "$work/cka-whole.json"
for k in 0 1 2 3; do "$d" analyze --cka --save-state "$work/cka/s$k" --format json "$work/cka/q$k/whole.npy" "$work/cka/q$k/other.npy" >/dev/null 2>&1; done
check "analyze --cka --save-state wrote cka.state" test -s "$work/cka/s0/cka.state" -a -s "$work/cka/s3/cka.state"
check_status "merge four CKA states" 0 "$d" merge --format json -o "$work/cka-merged.state" "$work"/cka/s*/cka.state
check "merged CKA equals one process (to 1e-12, 400 samples)" python3 -c "
import json
A=json.load(open('$work/cka-whole.json')); B=json.load(open('$work/out'))
assert A['cka_layers']==B['cka_layers']==['whole','other'] and A['cka_samples']==B['cka_samples']==400, (A,B)
a,b=A['cka'],B['cka']
for ra,rb in zip(a,b):
    for x,y in zip(ra,rb): assert abs(x-y)<=1e-12, (x,y)
assert 0.05 < a[0][1] < 0.999, a
"
check_status "merge: the merged CKA state merges again" 0 "$d" merge "$work/cka-merged.state" "$work/cka/s0/cka.state"
check_grep "merge: CKA table" "$work/out" 'linear CKA between the files (500 samples)'
check_status "merge: a CKA state after a layer state fails" 1 "$d" merge "$work/states/part0.state" "$work/cka/s0/cka.state"
check_grep "merge: names the CKA state" "$work/err" 'cka/s0/cka.state: a CKA state'
check_status "merge: a layer state after a CKA state fails" 1 "$d" merge "$work/cka/s0/cka.state" "$work/states/part0.state"
check_grep "merge: names the layer state" "$work/err" 'part0.state: not a CKA state'
check_status "merge: CKA states in csv is a usage error" 64 "$d" merge --format csv "$work/cka/s0/cka.state"

# delve train: one epoch of a small MLP on the embedded digits, then usage errors (exit 64) and file errors (exit 1).
train_tmp="$(mktemp -d)"
check_status "delve train mlp 2 epochs" 0 "$bin/delve" train --model mlp --epochs 2 --writers csv,jsonl --out "$train_tmp/run"
check "train wrote its CSV" test -s "$train_tmp/run/statistics.csv"
check_grep "train: Delve column names" "$train_tmp/run/statistics.csv" 'train-saturation_features.0'
check_grep "train: eval phase columns" "$train_tmp/run/statistics.csv" 'eval-intrinsic-dimensionality_classifier'
check "train: 2 epochs, learns (test accuracy > 0.8), lsat in [0, 1]" python3 -c "
import json,sys
rows=[json.loads(l) for l in open('$train_tmp/run/statistics.jsonl')]
assert [r['epoch'] for r in rows]==[0,1], rows
v=rows[-1]['values']
assert v['test-accuracy']>0.8, v['test-accuracy']
assert all(0<=x<=1 for k,x in v.items() if 'saturation_' in k)
"
# A learning rate of 1e8 diverges within a few batches: NaN activations.
check_status "train: NaN activations stop the run by default" 1 "$bin/delve" train --model mlp --epochs 1 --lr 1e8 --writers jsonl --out "$train_tmp/nan"
check_grep "train: the NaN error names layer and batch" "$work/err" "layer '[a-z0-9.]*' (train), batch [0-9]"
check_status "train --skip-bad-batches finishes" 0 "$bin/delve" train --model mlp --epochs 1 --lr 1e8 --writers console,jsonl --skip-bad-batches --out "$train_tmp/skip"
check_grep "train --skip-bad-batches: console note" "$work/out" 'note: features.0 (train): skipped [0-9]* bad batch'
check "train --skip-bad-batches: JSONL counts per layer" python3 -c "
import json
r=[json.loads(l) for l in open('$train_tmp/skip/statistics.jsonl')][-1]
assert all(l.get('skipped_batches',0)>0 for l in r['layers']), r['layers']
"
check_status "train: unknown model is a usage error" 64 "$bin/delve" train --model nosuch --epochs 1 --out "$train_tmp/x"
check_grep "train: unknown model names the valid ones" "$work/err" 'cnn'
check_status "train: --epochs 0 is a usage error" 64 "$bin/delve" train --model mlp --epochs 0 --out "$train_tmp/x"
check_status "train: mnist without --data is a usage error" 64 "$bin/delve" train --dataset mnist --out "$train_tmp/x"
check_status "train: a missing MNIST folder fails" 1 "$bin/delve" train --dataset mnist --data "$train_tmp/no-such-dir" --out "$train_tmp/x"
check_grep "train: the error names the path" "$work/err" 'no-such-dir'
check_status "train: unknown writer is a usage error" 64 "$bin/delve" train --model mlp --writers csv,nope --out "$train_tmp/x"

# delve train --resume: 4 uninterrupted epochs versus 2 epochs + resume to 4 give byte-identical statistics
# (MLP with SGD momentum; CNN with BatchNorm and Adam).
r="$train_tmp/resume"; mkdir -p "$r"
mlp=(train --model mlp --model-options hidden=32 --writers csv,jsonl,plot,report,tensorboard)
check_status "resume: mlp 4 epochs straight" 0 "$d" "${mlp[@]}" --epochs 4 --out "$r/full"
check_status "resume: mlp 2 epochs" 0 "$d" "${mlp[@]}" --epochs 2 --out "$r/part"
check "resume: checkpoint manifest after 2 epochs" python3 -c "
import json; m=json.load(open('$r/part/checkpoint/checkpoint.json'))
assert m['completed-epochs']==2 and m['configuration']['model']=='mlp' and m['configuration']['epochs']==2, m"
check_status "resume: --resume --epochs 4" 0 "$d" train --resume "$r/part" --epochs 4
check "resume: mlp CSV identical to the uninterrupted run" cmp "$r/full/statistics.csv" "$r/part/statistics.csv"
check "resume: mlp JSONL identical to the uninterrupted run" cmp "$r/full/statistics.jsonl" "$r/part/statistics.jsonl"
check "resume: plots redrawn identically (SVG)" cmp "$r/full/plots/saturation-over-epochs.svg" "$r/part/plots/saturation-over-epochs.svg"
check "resume: one event file per process, none empty" test "$(ls "$r/part" | grep -c tfevents)" -eq 2
cnn=(train --model cnn --model-options depth=2,width=4,batchnorm=true --optimizer adam --lr 0.01 --batch-size 128 --writers csv,jsonl)
check_status "resume: cnn+batchnorm (adam) 3 epochs straight" 0 "$d" "${cnn[@]}" --epochs 3 --out "$r/cnn-full"
check_status "resume: cnn+batchnorm 1 epoch" 0 "$d" "${cnn[@]}" --epochs 1 --out "$r/cnn-part"
check_status "resume: cnn+batchnorm to 3" 0 "$d" train --resume "$r/cnn-part" --epochs 3
check "resume: cnn+batchnorm CSV identical" cmp "$r/cnn-full/statistics.csv" "$r/cnn-part/statistics.csv"
check "resume: cnn+batchnorm JSONL identical" cmp "$r/cnn-full/statistics.jsonl" "$r/cnn-part/statistics.jsonl"
keep=(train --model mlp --model-options hidden=16 --keep-covariance --writers csv,jsonl)
check_status "resume: --keep-covariance 3 epochs straight" 0 "$d" "${keep[@]}" --epochs 3 --out "$r/keep-full"
check_status "resume: --keep-covariance 1 epoch" 0 "$d" "${keep[@]}" --epochs 1 --out "$r/keep-part"
check "resume: the checkpoint holds the running accumulators" bash -c "ls '$r'/keep-part/checkpoint/epoch-*/tracker/train-0.cov"
check_status "resume: --keep-covariance to 3" 0 "$d" train --resume "$r/keep-part" --epochs 3
check "resume: accumulated statistics identical" cmp "$r/keep-full/statistics.jsonl" "$r/keep-part/statistics.jsonl"
# --lr-schedule: the rate is a pure function of the epoch (counted from the initial epoch), so a run stopped
# after 1 epoch and resumed equals an uninterrupted one.
sched=(train --model mlp --model-options hidden=16 --lr-schedule step:1,0.5 --writers csv,jsonl)
check_status "lr-schedule: step:1,0.5 3 epochs straight" 0 "$d" "${sched[@]}" --epochs 3 --out "$r/sched-full"
check_status "lr-schedule: step:1,0.5 1 epoch" 0 "$d" "${sched[@]}" --epochs 1 --out "$r/sched-part"
check "lr-schedule: recorded in the manifest and run.json" python3 -c "
import json; m=json.load(open('$r/sched-part/checkpoint/checkpoint.json'))
assert m['configuration']['lr-schedule']=='step:1,0.5', m['configuration']
assert 'step:1,0.5' in open('$r/sched-part/run.json').read()"
check_status "lr-schedule: resume to 3" 0 "$d" train --resume "$r/sched-part" --epochs 3
check "lr-schedule: CSV identical to the uninterrupted run" cmp "$r/sched-full/statistics.csv" "$r/sched-part/statistics.csv"
check "lr-schedule: JSONL identical to the uninterrupted run" cmp "$r/sched-full/statistics.jsonl" "$r/sched-part/statistics.jsonl"
check_status "lr-schedule: the same run at a constant rate" 0 "$d" train --model mlp --model-options hidden=16 --writers csv,jsonl --epochs 3 --out "$r/sched-none"
check "lr-schedule: the schedule changes epochs 1 and 2, not 0" python3 -c "
import json
a=[json.loads(l) for l in open('$r/sched-full/statistics.jsonl')]; b=[json.loads(l) for l in open('$r/sched-none/statistics.jsonl')]
assert a[0]['values']==b[0]['values'] and a[1]['values']!=b[1]['values'] and a[2]['values']!=b[2]['values']"
check_status "lr-schedule: a bad text is a usage error" 64 "$d" train --model mlp --lr-schedule step:0,2 --epochs 1 --out "$r/sched-bad"
check_grep "lr-schedule: the message names --lr-schedule and the text" "$work/err" "lr-schedule: 'step:0,2'"
check_status "lr-schedule: another schedule on resume is a conflict" 64 "$d" train --resume "$r/sched-part" --lr-schedule cosine:5 --epochs 4
check_grep "lr-schedule: the conflict names the option" "$work/err" '--lr-schedule cosine:5,0.0 conflicts'
# A checkpoint of an earlier format (version 2: optimizer state keyed by parameter position) is refused.
rm -rf "$r/v2"; cp -r "$r/part" "$r/v2"
python3 -c "
import json; p='$r/v2/checkpoint/checkpoint.json'; m=json.load(open(p)); m['version']=2; json.dump(m, open(p, 'w'))"
check_status "resume: a version-2 checkpoint fails" 1 "$d" train --resume "$r/v2" --epochs 6
check_grep "resume: the error names the manifest and says why" "$work/err" 'checkpoint.json: checkpoint version 2 was written by an earlier delve'

# Checkpoints are flushed to disk in order: every checkpoint file, its folders and the append-only outputs,
# then the new manifest, then the folder holding it (strace -y names the file of every fsync).
if command -v strace >/dev/null 2>&1; then
  check_status "durability: 2 epochs under strace" 0 strace -f -qq -y -e trace=fsync -o "$r/fsync.trace" \
    "$d" "${mlp[@]}" --epochs 2 --out "$r/sync"
  check "durability: checkpoint files, then manifest, then its folder reach the disk" python3 -c "
import os, re, sys
run = os.path.realpath('$r/sync'); ck = run + '/checkpoint'
synced = [m.group(1) for m in (re.search(r'fsync\\(\\d+<([^>]*)>\\) = 0', l) for l in open('$r/fsync.trace')) if m]
last = max(i for i, p in enumerate(synced) if os.path.basename(p).startswith('.checkpoint.json.tmp-'))
epoch = [f for f in os.listdir(ck) if f.startswith('epoch-')][0]
needed = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(ck, epoch)) for f in fs]
needed += [os.path.join(ck, epoch), os.path.join(ck, epoch, 'tracker'), ck + '/history.jsonl', run + '/statistics.jsonl', run + '/statistics.csv']
before = set(synced[:last])
missing = [p for p in needed if p not in before]
assert not missing, ('not flushed before the manifest', missing)
assert ck in synced[last + 1:], ('the checkpoint folder is not flushed after the rename', synced[last:])
"
else
  echo "cli: SKIP the durability check (strace is not installed)"
fi
check "resume: accumulated samples grow over epochs" python3 -c "
import json; rows=[json.loads(l) for l in open('$r/keep-part/statistics.jsonl')]
s=[r['layers'][0]['samples'] for r in rows]; assert s[1]==2*s[0] and s[2]==3*s[0], s"
check_status "resume: --keep-covariance on a per-epoch run is a conflict" 64 "$d" train --resume "$r/part" --keep-covariance --epochs 5
check_status "resume: a finished run has nothing to do" 0 "$d" train --resume "$r/cnn-part"
check_grep "resume: says so" "$work/out" 'Nothing to resume'
check_status "resume: a conflicting option is a usage error" 64 "$d" train --resume "$r/part" --model cnn --epochs 5
check_grep "resume: the conflict names the option" "$work/err" '--model cnn conflicts'
check_status "resume: the same value is no conflict" 0 "$d" train --resume "$r/cnn-part" --model cnn --optimizer adam
check_status "resume: fewer epochs than completed is a usage error" 64 "$d" train --resume "$r/part" --epochs 1
mkdir -p "$r/empty"
check_status "resume: no checkpoint fails" 1 "$d" train --resume "$r/empty"
check_grep "resume: no checkpoint names the manifest" "$work/err" 'checkpoint.json: no checkpoint'
check_status "resume: a missing run directory fails" 1 "$d" train --resume "$r/nowhere"
cp -r "$r/part" "$r/corrupt"
folder="$(python3 -c "import json; print(json.load(open('$r/corrupt/checkpoint/checkpoint.json'))['folder'])")"
python3 -c "
p='$r/corrupt/checkpoint/$folder/optimizer.safetensors'; b=bytearray(open(p,'rb').read()); b[-5]^=0xFF; open(p,'wb').write(b)"
before="$(cd "$r/corrupt" && find . -type f -exec cksum {} + | sort)"
check_status "resume: a damaged checkpoint file fails" 1 "$d" train --resume "$r/corrupt" --epochs 6
check_grep "resume: the error names the damaged file" "$work/err" 'optimizer.safetensors: corrupt checkpoint file'
check "resume: nothing in the run directory changed" test "$before" = "$(cd "$r/corrupt" && find . -type f -exec cksum {} + | sort)"
head -c 40 "$r/part/checkpoint/checkpoint.json" > "$r/corrupt/checkpoint/checkpoint.json"
check_status "resume: a truncated manifest fails" 1 "$d" train --resume "$r/corrupt" --epochs 6
check_grep "resume: the error names the manifest" "$work/err" 'checkpoint.json'
# The history is append-only: one record per completed epoch, written once (the same bytes as
# statistics.jsonl, which holds no covariance here); bytes after the checkpointed prefix are cut on resume.
check "history: one record per epoch, appended once" cmp "$r/full/checkpoint/history.jsonl" "$r/full/statistics.jsonl"
rm -rf "$r/hist"; cp -r "$r/part" "$r/hist"
printf '{"epoch": 99, "half a record' >> "$r/hist/checkpoint/history.jsonl"
check_status "history: an interrupted save's extra bytes do not stop a resume" 0 "$d" train --resume "$r/hist" --epochs 5
check "history: it then holds exactly the 5 completed epochs" python3 -c "
lines = open('$r/hist/checkpoint/history.jsonl').read().splitlines()
assert len(lines) == 5 and all(l.startswith('{\"epoch\":') for l in lines), lines[-1][:80]"
rm -rf "$r/hist2"; cp -r "$r/part" "$r/hist2"
python3 -c "p='$r/hist2/checkpoint/history.jsonl'; b=bytearray(open(p,'rb').read()); b[10]^=0x01; open(p,'wb').write(b)"
check_status "history: a damaged history fails" 1 "$d" train --resume "$r/hist2" --epochs 5
check_grep "history: the error names the history file" "$work/err" 'history.jsonl: corrupt checkpoint file: checksum'
# One process per run directory: while a run trains, a resume of it and a second run into the same
# directory are refused (exit 1, naming the directory and the process); after kill -9 the lock is free.
"$d" "${mlp[@]}" --epochs 400 --out "$r/busy" >/dev/null 2>&1 &
busy=$!
for _ in $(seq 1200); do [ -f "$r/busy/checkpoint/checkpoint.json" ] && break; sleep 0.05; done
check_status "lock: a resume while the run trains is refused" 1 "$d" train --resume "$r/busy" --epochs 400
check_grep "lock: the error names the other process" "$work/err" "busy: another delve process (pid $busy) is writing"
check_status "lock: a second run into the same directory is refused" 1 "$d" "${mlp[@]}" --epochs 2 --out "$r/busy"
kill -9 "$busy" 2>/dev/null || true; wait "$busy" 2>/dev/null || true   # 137: killed, as intended
done_epochs="$(python3 -c "import json; print(json.load(open('$r/busy/checkpoint/checkpoint.json'))['completed-epochs'])")"
check_status "lock: after kill -9 the resume goes ahead" 0 "$d" train --resume "$r/busy" --epochs "$((done_epochs + 1))"
rm -rf "$r/mismatch"; cp -r "$r/part" "$r/mismatch"
python3 - "$r/mismatch/checkpoint/checkpoint.json" <<'PY'
import json, sys
p = sys.argv[1]; m = json.load(open(p)); m["configuration"]["model-options"] = "hidden=16"
open(p, "w").write(json.dumps(m))
PY
check_status "resume: weights of another model shape fail" 1 "$d" train --resume "$r/mismatch" --epochs 6
check_grep "resume: the mismatch names the weight file" "$work/err" 'model.safetensors.*do not fit'
rm -rf "$train_tmp"

# delve demo: the too-deep CNN shows the tail pattern, the right-sized one does not; reports and the
# comparison page are written; the output to a pipe stays short. One run serves every check.
demo_tmp="$(mktemp -d)"
check_status "delve demo (6 epochs)" 0 "$bin/delve" demo --epochs 6 --writers console,csv,jsonl,report --out "$demo_tmp"
cp "$work/out" "$work/demo.out"
check_grep "demo: tail pattern in the deep CNN" "$work/demo.out" 'deep-cnn: .*tail pattern in features'
check_grep "demo: no tail pattern in the right-sized CNN" "$work/demo.out" 'small-cnn: .*no tail pattern'
check_grep "demo: the deep CNN's report has its CKA heat map" "$demo_tmp/deep-cnn/report.html" 'Layer similarity (linear CKA)'
check "demo: the deep CNN's cka.csv (6 epochs × 9 layers)" test "$(wc -l < "$demo_tmp/deep-cnn/cka.csv")" -eq 55
check_grep "demo: advice names the remedies" "$work/demo.out" 'remove these layers'
check_grep "demo: the first convolution is at its structural ceiling" "$work/demo.out" 'features.0 is at its structural ceiling: at most 9 of 32'
check "demo: at most 120 lines when not a terminal" test "$(wc -l < "$work/demo.out")" -le 120
check_grep "demo: modules not tracked as a count per type" "$work/demo.out" '^not tracked: 8 BatchNorm2d, 8 ReLU, 3 MaxPool2d, 3 containers (--verbose lists them)$'
check "demo: no per-module list without --verbose" bash -c "! grep -q 'is not a tracked layer type' '$work/demo.out'"
check_grep "demo: names the comparison page" "$work/demo.out" "^Comparison page: $demo_tmp/index.html$"
check "demo: both reports written" test -s "$demo_tmp/deep-cnn/report.html" -a -s "$demo_tmp/small-cnn/report.html"
check_grep "demo: the report starts with the verdict" "$demo_tmp/deep-cnn/report.html" '<h2>Verdict</h2>'
check_grep "demo: the deep CNN's report has the probe panels" "$demo_tmp/deep-cnn/report.html" '<h2>Linear probes</h2>'
check_grep "demo: probe accuracy per layer in the CSV" "$demo_tmp/deep-cnn/statistics.csv" 'eval-probe-accuracy_features.0'
check_grep "demo: run.json keeps the ceilings" "$demo_tmp/deep-cnn/run.json" '"ceilings"'
for net in deep-cnn small-cnn; do
  for metric in accuracy parameters multiply-adds epoch-time; do
    check_grep "demo page: $net $metric" "$demo_tmp/index.html" "data-metric=\"$metric\" data-run=\"$net\">[0-9]"
  done
done
check_grep "demo page: links each report" "$demo_tmp/index.html" 'href="deep-cnn/report.html"'
check_grep "demo page: states the cost ratio" "$demo_tmp/index.html" 'costs <b>[0-9.]*×</b> the multiply-adds'
page_status=0
bash "$here/report-screenshot.sh" --page "$demo_tmp/index.html" "$work/demo-page.png" \
  'data-metric="multiply-adds" data-run="deep-cnn">[0-9]' 'data-metric="multiply-adds" data-run="small-cnn">[0-9]' \
  'data-metric="accuracy" data-run="deep-cnn">[0-9]' 'data-metric="accuracy" data-run="small-cnn">[0-9]'  >"$work/page.log" 2>&1 || page_status=$?
if [ "$page_status" -eq 0 ]; then pass=$((pass+1)); cat "$work/page.log"
elif [ "$page_status" -eq 2 ]; then cat "$work/page.log"   # no Chromium: skipped, said so
else echo "FAIL: demo page in headless Chromium"; sed 's/^/  | /' "$work/page.log"; fail=$((fail+1)); fi
rm -rf "$demo_tmp"

# One error style: `error:` first, the option, file or layer named, the subcommand's usage after a usage error,
# no Swift syntax (ranges, optionals, type names).
check_error() { # check_error NAME EXPECTED-STATUS USAGE-OF PATTERN COMMAND... — USAGE-OF: "delve train", or "-" for none
  local name="$1" expected="$2" usage="$3" pattern="$4"; shift 4
  local status=0 problems=""
  "$@" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq "$expected" ] || problems="exit $status, expected $expected; "
  head -1 "$work/err" | grep -q '^error: ' || problems+="no 'error:' first; "
  grep -q -- "$pattern" "$work/err" || problems+="'$pattern' not named; "
  if [ "$usage" != "-" ]; then
    grep -q "^Usage: $usage " "$work/err" || problems+="no usage of '$usage'; "
    grep -q "See '$usage --help'" "$work/err" || problems+="no pointer to '$usage --help'; "
  else
    ! grep -q '^Usage:' "$work/err" || problems+="usage shown for a failure; "
  fi
  ! grep -qE 'Error:|\.\.<|Optional\(|TrainingError|WriterError|ValidationError' "$work/err" || problems+="Swift syntax or 'Error:'; "
  if [ -z "$problems" ]; then pass=$((pass+1)); else echo "FAIL: $name ($problems)"; sed 's/^/  | /' "$work/err" | head -5; fail=$((fail+1)); fi
}
err_tmp="$(mktemp -d)"
check_error "error style: unknown option" 64 "delve train" "--nosuch" "$bin/delve" train --nosuch
check_error "error style: bad option value" 64 "delve train" "--epochs" "$bin/delve" train --epochs many
check_error "error style: invalid value found in run" 64 "delve train" "--epochs must be at least 1" "$bin/delve" train --model mlp --epochs 0 --out "$err_tmp/x"
check_error "error style: unknown model" 64 "delve train" "nosuch" "$bin/delve" train --model nosuch --epochs 1 --out "$err_tmp/x"
check_error "error style: unknown writer" 64 "delve train" "--writers" "$bin/delve" train --writers csv,nope --out "$err_tmp/x"
check_error "error style: missing dataset folder" 1 - "no-such-dir" "$bin/delve" train --dataset mnist --data "$err_tmp/no-such-dir" --out "$err_tmp/x"
check_error "error style: resume of a missing run" 1 - "nowhere" "$bin/delve" train --resume "$err_tmp/nowhere"
check_error "error style: analyze without files" 64 "delve analyze" "npy" "$bin/delve" analyze
check_error "error style: analyze a missing file" 1 - "missing.npy" "$bin/delve" analyze "$err_tmp/missing.npy"
check_error "error style: demo with a bad option" 64 "delve demo" "--epochs" "$bin/delve" demo --epochs none
check_error "error style: report of a missing run" 1 - "nowhere" "$bin/delve" report "$err_tmp/nowhere"
check_error "error style: unknown subcommand" 64 "delve" "nosuch" "$bin/delve" nosuch
rm -rf "$err_tmp"

# delve-bench: a quick smoke run must print one flat JSON object with the documented keys.
check_status "delve-bench covariance --quick --json" 0 "$bin/delve-bench" covariance --quick --json
check_json "delve-bench covariance: flat numeric object with stable keys" \
  'all(isinstance(v, (int, float)) for v in d.values()) and all(k in d for k in ["cov_d256_b128_ratio", "cov_d256_b128_rows_per_s", "cov_f32_d256_b128_ratio", "cov_channelwise_c32_s1024_ratio"]) and d["cov_d256_b128_ratio"] > 0'
check_json "delve-bench covariance: the CKA cross-covariance keys" \
  'd["cov_cross_ratio"] > 0 and d["cov_cross_gemm_ratio"] > 0 and d["cov_cross_d64_b128_ratio"] == d["cov_cross_ratio"]'
check_status "delve-bench overhead --models mlp --lengths short --repeats 1 --json" 0 "$bin/delve-bench" overhead --models mlp --lengths short --repeats 1 --json
check_json "delve-bench overhead: a 20-batch MLP epoch (well under 2.5 s) repeats more than --repeats, at most five times" \
  '2 <= d["overhead_mlp_repetitions"] <= 5 and d["overhead_mlp_ratio"] > 0 and "overhead_cnn_ratio" not in d'
check_status "delve-bench covariance --quick (table)" 0 "$bin/delve-bench" covariance --quick
check_grep "delve-bench covariance: table row" "$work/out" 'D=256 batch=128'
check_status "delve-bench overhead --quick --json" 0 "$bin/delve-bench" overhead --quick --json
check_json "delve-bench overhead: ratios and floors for both models" \
  'all(isinstance(v, (int, float)) for v in d.values()) and all(d[f"overhead_{m}_{k}"] > 0 for m in ["mlp", "cnn"] for k in ["ratio", "f32_ratio", "median_ratio", "f32_median_ratio"]) and all(d[f"overhead_{m}_{k}"] > 1 for m in ["mlp", "cnn"] for k in ["floor_ratio", "f32_floor_ratio"]) and all(f"overhead_{m}{l}_{k}" in d for m in ["mlp", "cnn"] for l in ["", "_long"] for k in ["excess", "f32_excess", "ratio", "f32_ratio", "f32_speedup"]) and d["overhead_mlp_eigen_floor_s"] > 0 and d["overhead_cnn_syrk_floor_s"] > d["overhead_cnn_f32_syrk_floor_s"] > 0 and all(d[f"overhead_{m}_repetitions"] == 1 for m in ["mlp", "cnn"])'
check_json "delve-bench overhead: the CKA variant" \
  'all(d[f"overhead_{m}_cka_ratio"] > 0 and d[f"overhead_{m}_cka_epoch_s"] > 0 for m in ["mlp", "cnn"])'
check_json "delve-bench overhead: the probe variant" \
  'all(d[f"overhead_{m}_probe_ratio"] > 0 and d[f"overhead_{m}_probe_epoch_s"] > 0 for m in ["mlp", "cnn"])'
check_status "delve-bench overhead --quick --json --models mlp --lengths long" 0 "$bin/delve-bench" overhead --quick --json --models mlp --lengths long --repeats 1
check_json "delve-bench overhead: long-epoch ratios, floors and excesses" \
  'all(isinstance(v, (int, float)) for v in d.values()) and all(d[f"overhead_mlp_long_{k}"] > 0 for k in ["ratio", "f32_ratio", "plain_epoch_s"]) and all(d[f"overhead_mlp_long_{k}"] > 1 for k in ["floor_ratio", "f32_floor_ratio"]) and abs(d["overhead_mlp_long_excess"] - (d["overhead_mlp_long_ratio"] - d["overhead_mlp_long_floor_ratio"])) < 1e-4 and abs(d["overhead_mlp_long_f32_excess"] - (d["overhead_mlp_long_f32_ratio"] - d["overhead_mlp_long_f32_floor_ratio"])) < 1e-4 and "overhead_mlp_ratio" not in d and d["overhead_mlp_long_probe_ratio"] > 0'
check_json "delve-bench overhead: OpenBLAS's idle spin is shortened to 2^16 cycles" 'd["overhead_blas_idle_spin_log2"] == 16'
check_status "delve-bench precision --quick --json" 0 "$bin/delve-bench" precision --quick --json
check_json "delve-bench precision: a float32 speed-up for every layout, and their minimum" \
  'len([k for k in d if k.endswith("_f32_speedup") and k != "precision_min_f32_speedup"]) == 16 and all(v > 0 for v in d.values()) and d["precision_min_f32_speedup"] == min(v for k, v in d.items() if k != "precision_min_f32_speedup")'
check_status "delve-bench overhead with OPENBLAS_THREAD_TIMEOUT=20" 0 env OPENBLAS_THREAD_TIMEOUT=20 "$bin/delve-bench" overhead --quick --json --models mlp --lengths short --repeats 1
check_json "delve-bench overhead: the user's OPENBLAS_THREAD_TIMEOUT wins" 'd["overhead_blas_idle_spin_log2"] == 20'
check_status "delve-bench overhead --lengths bad" 64 "$bin/delve-bench" overhead --lengths medium
check_status "delve-bench --help lists all" 0 "$bin/delve-bench" --help
check_grep "delve-bench --help: all subcommand" "$work/out" 'all .*Run every benchmark'

# Dataset readers through delve train, on tiny files written by the standard library only.
data_tmp="$work/data"; mkdir -p "$data_tmp"
python3 "$here/data_fixture.py" "$data_tmp"
check_status "train on gzip MNIST files" 0 "$d" train --dataset mnist --data "$data_tmp/mnist" --model mlp --model-options hidden=8 --epochs 1 --batch-size 8 --out "$data_tmp/r-mnist"
check_grep "MNIST run: statistics of features.0" "$data_tmp/r-mnist/statistics.csv" 'train-saturation_features.0'
check_status "train on a truncated MNIST file fails" 1 "$d" train --dataset mnist --data "$data_tmp/mnist-truncated" --model mlp --epochs 1 --out "$data_tmp/r-bad"
check_grep "truncated MNIST: file and byte offset" "$work/err" 'train-images-idx3-ubyte: truncated at byte offset 1446: 10 more byte(s) needed'
check_status "train a cnn on CIFAR-10 batches" 0 "$d" train --dataset cifar10 --data "$data_tmp/cifar" --model cnn --model-options depth=2,width=4 --epochs 1 --batch-size 8 --out "$data_tmp/r-cifar"
check_grep "CIFAR-10 run: conv layer tracked" "$data_tmp/r-cifar/statistics.csv" 'train-saturation_features.0'
check_status "train on a CSV table" 0 "$d" train --dataset csv --data "$data_tmp/table.csv" --model mlp --model-options hidden=8 --epochs 1 --batch-size 8 --out "$data_tmp/r-csv"
check_status "resume: a run with a relative --data path" 0 bash -c "cd '$data_tmp' && '$d' train --dataset csv --data table.csv --model mlp --model-options hidden=8 --epochs 1 --batch-size 8 --writers csv --out r-rel"
check_status "resume: from another directory finds the data" 0 bash -c "cd / && '$d' train --resume '$data_tmp/r-rel' --epochs 2"
check_status "resume: the same --data, given relative, is no conflict" 0 bash -c "cd '$data_tmp' && '$d' train --resume r-rel --data table.csv --epochs 3"
check "resume: 3 epochs in the CSV" test "$(wc -l < "$data_tmp/r-rel/statistics.csv")" -eq 4
cp "$data_tmp/r-csv/statistics.csv" "$data_tmp/r-csv.before"
check_status "a fresh run into a directory holding a run is refused (64)" 64 "$d" train --dataset csv --data "$data_tmp/table.csv" --model mlp --model-options hidden=8 --epochs 2 --batch-size 8 --out "$data_tmp/r-csv"
check_grep "refused run: names the directory, what is there and the way out" "$work/err" "r-csv already holds a run (.*statistics.csv.*): pass --resume .* --overwrite to replace it"
check "refused run: the earlier statistics are untouched" cmp "$data_tmp/r-csv/statistics.csv" "$data_tmp/r-csv.before"
check_status "--overwrite replaces the earlier run" 0 "$d" train --dataset csv --data "$data_tmp/table.csv" --model mlp --model-options hidden=8 --epochs 2 --batch-size 8 --out "$data_tmp/r-csv" --overwrite
check "--overwrite: 2 epochs in the CSV, none of the earlier run's" test "$(wc -l < "$data_tmp/r-csv/statistics.csv")" -eq 3
check_status "--overwrite with --resume is refused (64)" 64 "$d" train --resume "$data_tmp/r-csv" --overwrite
check_status "train on a CSV with a bad cell fails" 1 "$d" train --dataset csv --data "$data_tmp/bad.csv" --model mlp --epochs 1 --out "$data_tmp/r-bad"
check_grep "bad CSV: line and column" "$work/err" "bad.csv: line 3, column 2: 'oops' is not a finite number"
check "train with an unknown model fails" bash -c "! '$d' train --model transformer --epochs 1 --out '$data_tmp/r-x'"
check_status "delve-bench train --quick --json" 0 "$bin/delve-bench" train --quick --json --models mlp,cnn
check_json "delve-bench train: samples/s keys" \
  'all(k in d for k in ["train_mlp_samples_per_s", "train_cnn_samples_per_s"]) and d["train_mlp_samples_per_s"] > 0'

# Linear CKA between layers (--cka) and the RankMe collapse warning.
python3 -c "
import struct, sys
header = \"{'descr': '<f4', 'fortran_order': False, 'shape': (4, 400), }\"
header += ' ' * (63 - (10 + len(header)) % 64) + '\\n'
with open(sys.argv[1], 'wb') as f:
    f.write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(header)) + header.encode())
    f.write(struct.pack('<1600f', *[float((i * 7) % 11) for i in range(1600)]))
" "$work/wide.npy"
check_status "analyze --cka conv + sequence" 0 "$d" analyze --format json --cka "$work/conv.npy" "$work/sample3d.npy"
check_json "analyze --cka: 2×2 matrix in file order, 1 on the diagonal, symmetric" \
  'len(d["cka"]) == 2 and abs(d["cka"][0][0] - 1) < 1e-12 and abs(d["cka"][1][1] - 1) < 1e-12 and d["cka"][0][1] == d["cka"][1][0] and 0 <= d["cka"][0][1] <= 1'
check_status "analyze --cka a layer with itself" 0 "$d" analyze --format json --cka --batch-size 7 "$work/rank3.npy" "$work/rank3.npy"
check_json "analyze --cka: 1 for a layer with itself" 'abs(d["cka"][0][1] - 1) < 1e-12'
check_status "analyze --cka table" 0 "$d" analyze --cka "$work/conv.npy" "$work/sample3d.npy"
check_grep "analyze --cka table: the matrix" "$work/out" 'linear CKA between the files (4 samples):'
check_status "analyze --cka one file" 64 "$d" analyze --cka "$work/rank3.npy"
check_grep "analyze --cka one file: says two" "$work/err" 'give at least two .npy files (got 1)'
check_status "analyze --cka different row counts" 1 "$d" analyze --cka "$work/rank3.npy" "$work/whole.npy"
check_grep "analyze --cka different row counts: names both files" "$work/err" 'whole.npy: 400 rows, but .*rank3.npy has 200 rows; for --cka, row i of every file must come from the same sample'
check_status "analyze --cka too much memory" 1 "$d" analyze --cka --cka-memory-limit 1 "$work/wide.npy" "$work/wide.npy"
check_grep "analyze --cka too much memory: the limit" "$work/err" 'more than the limit 1.0 MiB (--cka-memory-limit)'
check_status "train --cka" 0 "$d" train --model cnn --model-options depth=2,width=4 --epochs 2 --cka --stats lsat,rankme,alphareq --writers csv,jsonl,plot,report --out "$work/r-cka"
check_grep "train --cka: memory announced" "$work/out" '^CKA between 4 layers (eval): the cross-covariances take'
check "train --cka: cka.csv has 2 epochs × 4 layers" test "$(wc -l < "$work/r-cka/cka.csv")" -eq 9
check "train --cka: plots/cka.svg and .png" test -s "$work/r-cka/plots/cka.svg" -a -s "$work/r-cka/plots/cka.png"
check_grep "train --cka: report section" "$work/r-cka/report.html" 'Layer similarity (linear CKA)'
check_grep "train --cka: JSONL key cka" "$work/r-cka/statistics.jsonl" '"cka":\[{"phase":"eval"'
check_grep "train --stats rankme,alphareq: CSV columns" "$work/r-cka/statistics.csv" 'eval-rankme_features.0.*eval-alpha-req_features.0'
check_status "train --cka --resume" 0 "$d" train --resume "$work/r-cka" --epochs 3
check "train --cka --resume: cka.csv has 3 epochs" test "$(wc -l < "$work/r-cka/cka.csv")" -eq 13
check_status "train --cka over the memory limit" 64 "$d" train --model cnn --model-options width=512 --epochs 1 --cka --cka-memory-limit 1 --out "$work/r-cka-big"
check_grep "train --cka over the memory limit: layers and option named" "$work/err" 'more than the limit 1.0 MiB (--cka-memory-limit); layers: features.0 (512)'
check "train --cka over the memory limit: no run folder" test ! -e "$work/r-cka-big"
check_status "train --collapse-share 1 warns" 0 "$d" train --model mlp --model-options hidden=16 --epochs 1 --stats lsat,rankme --collapse-share 1 --writers csv,report --out "$work/r-collapse"
check_grep "collapse: advice names layer and epoch" "$work/out" "layer 'features.0' (train), epoch 0: RankMe .* is below 100 % of its 16 dimensions"
check_grep "collapse: report section" "$work/r-collapse/report.html" 'Collapse warnings'
check_status "train --collapse-share out of range" 64 "$d" train --epochs 1 --collapse-share 2 --out "$work/r-x"

# delve receptive-field: the demo's deep CNN at 8×8 (hand-computed in ReceptiveFieldZooTests), text and JSON; bad input.
check_status "receptive-field json" 0 "$d" receptive-field --model cnn --model-options depth=8,width=32,pool-every=2,classifier-hidden=0,batchnorm=true --input 8x8 --format json
check_json "receptive-field json: input, r and j of features.10, border layer" \
  'd["input"] == [8, 8] and [l for l in d["layers"] if l["name"] == "features.10"][0]["receptive_field"] == [14, 14] and [l for l in d["layers"] if l["name"] == "features.10"][0]["jump"] == [2, 2] and d["border_layer"] == "features.10" and len(d["unproductive_layers"]) == 5'
check_status "receptive-field text" 0 "$d" receptive-field --model resnet --input 8x8
check_grep "receptive-field text: border layer" "$work/out" '^Border layer: blocks.1.conv2$'
check_status "receptive-field unknown model" 64 "$d" receptive-field --model vit --input 8x8
check_grep "receptive-field unknown model: valid ones listed" "$work/err" "unknown model 'vit'; valid models: mlp, cnn"
check_status "receptive-field malformed --input" 64 "$d" receptive-field --model cnn --input 8by8
check_grep "receptive-field malformed --input: named" "$work/err" "--input must be HxW with two positive integers (e.g. 8x8), got '8by8'"
check_status "receptive-field input 0x8" 64 "$d" receptive-field --model cnn --input 0x8
check_status "receptive-field lstm" 64 "$d" receptive-field --model lstm --input 8x8
check_grep "receptive-field lstm: the layer named" "$work/err" 'layer lstm (LSTM) has no 2-D receptive field'
check_status "train records receptive-field.json" 0 "$d" train --model cnn --model-options depth=4,width=4 --epochs 1 --writers jsonl,report --out "$work/r-rf"
check_grep "train: prediction printed at the start" "$work/out" '^Receptive field at 8×8 inputs: border layer features.7'
check_grep "train: verdict compares it with the tail" "$work/out" '^The receptive field predicts the convolutions from features.7 on to be unproductive at 8×8 inputs; '
check "train: receptive-field.json equals the command's JSON" bash -c "cmp <('$d' receptive-field --model cnn --model-options depth=4,width=4 --input 8x8 --format json) '$work/r-rf/receptive-field.json'"
check_grep "train: report section" "$work/r-rf/report.html" '<section id="receptive-field"><h2>Receptive field</h2>'

# delve train --pca-eval: the trained model evaluated with PCA-projected layers at each δ.
check_status "train --pca-eval" 0 "$d" train --model mlp --model-options hidden=16 --epochs 2 --stats lsat,idim --writers csv,report --pca-eval 0.5,0.9,0.99,1 --out "$work/r-pca"
check_grep "train --pca-eval: console line per δ" "$work/out" 'PCA evaluation δ = 0.9: test accuracy'
check_grep "train --pca-eval: CSV header" "$work/r-pca/pca-eval.csv" '^delta,accuracy,loss,features.0-kept,classifier-kept,features.0-features,classifier-features$'
check "train --pca-eval: rows, k rising with δ, k = the last train idim at δ 0.99, δ = 1 as accurate as unprojected" python3 -c "
import csv, sys
rows = list(csv.DictReader(open('$work/r-pca/pca-eval.csv')))
stats = list(csv.DictReader(open('$work/r-pca/statistics.csv'), delimiter=';'))[-1]
assert [r['delta'] for r in rows] == ['0.5', '0.9', '0.99', '1.0'], rows
layers = ['features.0', 'classifier']
for l in layers:
    k = [int(r[l + '-kept']) for r in rows]
    d = int(rows[0][l + '-features'])
    assert 1 <= k[0] <= k[1] <= k[2] <= k[3] <= d, (l, k, d)
    assert k[2] == int(float(stats['train-intrinsic-dimensionality_' + l])), (l, k, stats)
assert abs(float(rows[3]['accuracy']) - float(stats['test-accuracy'])) <= 0.01, (rows[3], stats['test-accuracy'])
assert abs(float(rows[3]['loss']) - float(stats['test-loss'])) <= 1e-3 * max(1, float(stats['test-loss']))
"
check "train --pca-eval: plot" test -s "$work/r-pca/plots/pca-eval.svg"
check_status "train without --pca-eval, same run" 0 "$d" train --model mlp --model-options hidden=16 --epochs 2 --stats lsat,idim --writers csv,report --out "$work/r-pca-none"
check "train --pca-eval changes no statistic" cmp "$work/r-pca/statistics.csv" "$work/r-pca-none/statistics.csv"
check "train without --pca-eval: no pca-eval.csv, no report section" sh -c "test ! -e '$work/r-pca-none/pca-eval.csv' && ! grep -q 'PCA evaluation' '$work/r-pca-none/report.html'"
check_grep "train --pca-eval: report section" "$work/r-pca/report.html" '<h2>PCA evaluation</h2>'
check_status "train --pca-eval on resume" 0 "$d" train --resume "$work/r-pca" --epochs 3 --pca-eval 0.99
check "train --pca-eval on resume: a new table for the new last epoch" test "$(cut -d, -f1 "$work/r-pca/pca-eval.csv" | tr '\n' ' ')" = "delta 0.99 "
check_status "train --pca-eval with conv method mean" 0 "$d" train --model cnn --model-options depth=1,width=4 --epochs 1 --conv-method mean --writers csv --pca-eval 0.9 --out "$work/r-pca-mean"
check_grep "train --pca-eval with conv method mean: skip note" "$work/out" 'features.0 not projected: conv method mean'
for bad in 0 1.5 -0.1 nan "" "0.9,,0.99" "abc" "0.9;0.99"; do
  check_status "train --pca-eval '$bad' is a usage error" 64 "$d" train --model mlp --epochs 1 --pca-eval "$bad" --out "$work/r-pca-bad"
  check_grep "train --pca-eval '$bad': the option named" "$work/err" 'pca-eval'
done
check "train --pca-eval bad input: no run folder" test ! -e "$work/r-pca-bad"
check_status "train --pca-eval-random" 0 "$d" train --model cnn --model-options depth=2,width=8 --epochs 2 --writers csv,report --pca-eval 0.9,1 --pca-eval-random --out "$work/r-pca-random"
check "train --pca-eval-random: random directions lose at δ 0.9 and equal the eigenvectors at δ 1" python3 -c "
import csv
rows = list(csv.DictReader(open('$work/r-pca-random/pca-eval.csv')))
assert [r['delta'] for r in rows] == ['0.9', '1.0'], rows
low, full = rows
assert float(low['random-accuracy']) < float(low['accuracy']) and float(low['random-loss']) > float(low['loss']), low
assert full['random-accuracy'] == full['accuracy'] and abs(float(full['random-loss']) - float(full['loss'])) <= 1e-4 * float(full['loss']), full
"
check_grep "train --pca-eval-random: console line" "$work/out" '^  random directions, same k: test accuracy'
check_grep "train --pca-eval-random: report control" "$work/r-pca-random/report.html" '<th>random: accuracy</th>'
check_status "train --pca-eval-random without --pca-eval is a usage error" 64 "$d" train --model mlp --epochs 1 --pca-eval-random --out "$work/r-pca-random-bad"
check_grep "train --pca-eval-random without --pca-eval: named" "$work/err" 'pca-eval-random needs --pca-eval'

# Linear probes: delve analyze --labels, delve train --probe.
python3 -c "
import struct, sys
def npy(path, shape, values, descr):
    shape_text = '(' + ', '.join(str(d) for d in shape) + (',' if len(shape) == 1 else '') + ')'
    header = \"{'descr': '%s', 'fortran_order': False, 'shape': %s, }\" % (descr, shape_text)
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\\n'
    code = {'<f4': 'f', '<f8': 'd', '<i8': 'q'}[descr]
    with open(path, 'wb') as f:
        f.write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(header)) + header.encode())
        f.write(struct.pack('<%d%s' % (len(values), code), *values))
d = sys.argv[1]
labels = [(i * 7 + i // 5) % 3 for i in range(100)]
# onehot.npy: the one-hot labels plus a constant column; noise.npy: label-free values.
npy(d + '/onehot.npy', (100, 4), [v for y in labels for v in [float(k == y) for k in range(3)] + [0.5]], '<f4')
npy(d + '/noise.npy', (100, 2), [float((i * 37 + 11) % 97) / 97 for i in range(200)], '<f4')
npy(d + '/labels.npy', (100,), labels, '<i8')
npy(d + '/labels-float.npy', (100,), [float(y) for y in labels], '<f8')
npy(d + '/labels-half.npy', (100,), [y + 0.5 for y in labels], '<f8')
npy(d + '/labels-short.npy', (99,), labels[:99], '<i8')
npy(d + '/labels-one.npy', (100,), [2] * 100, '<i8')
" "$work"
check_status "analyze --labels" 0 "$d" analyze --format json --labels "$work/labels.npy" "$work/onehot.npy" "$work/noise.npy"
check_json "analyze --labels: one-hot features: R² 1, accuracy 1 on the last 20 rows" \
  'd["layers"][0]["probe_r2"] > 0.99 and d["layers"][0]["probe_accuracy"] == 1 and d["layers"][0]["probe_fit_samples"] == 80 and d["layers"][0]["probe_eval_samples"] == 20 and d["layers"][0]["probe_classes"] == 3'
check_json "analyze --labels: label-free features: R² near 0" 'abs(d["layers"][1]["probe_r2"]) < 0.2 and 0 <= d["layers"][1]["probe_accuracy"] <= 1'
check_status "analyze --labels float labels that are whole numbers, --probe-split 0.5" 0 "$d" analyze --format json --labels "$work/labels-float.npy" --probe-split 0.5 "$work/onehot.npy"
check_json "analyze --probe-split 0.5: 50 fit rows" 'd["layers"][0]["probe_fit_samples"] == 50 and d["layers"][0]["probe_accuracy"] == 1'
check_status "analyze --labels table" 0 "$d" analyze --labels "$work/labels.npy" "$work/onehot.npy"
check_grep "analyze --labels table: probe columns" "$work/out" 'probe-r2  probe-accuracy'
check_status "analyze --labels csv" 0 "$d" analyze --format csv --labels "$work/labels.npy" "$work/onehot.npy"
check_grep "analyze --labels csv: header" "$work/out" '^name,samples,features,lsat,idim,probe-r2,probe-accuracy$'
check_status "analyze --labels of the wrong length" 1 "$d" analyze --labels "$work/labels-short.npy" "$work/onehot.npy"
check_grep "analyze --labels wrong length: counts named" "$work/err" 'onehot.npy: 100 rows, but the labels file has 99 labels'
check_status "analyze --labels not integers" 1 "$d" analyze --labels "$work/labels-half.npy" "$work/onehot.npy"
check_grep "analyze --labels not integers: the label named" "$work/err" 'labels-half.npy: label 0 is 0.5, not an integer class index'
check_status "analyze --labels one class only" 1 "$d" analyze --labels "$work/labels-one.npy" "$work/onehot.npy"
check_grep "analyze --labels one class: says so" "$work/err" 'onehot.npy: probe: the 80 fit sample(s) hold one class only'
check_status "analyze --labels a float file as labels" 1 "$d" analyze --labels "$work/onehot.npy" "$work/onehot.npy"
check_grep "analyze --labels 2-D labels: the shape named" "$work/err" 'labels must be a 1-D array'
check_status "analyze --probe-split without --labels" 64 "$d" analyze --probe-split 0.5 "$work/onehot.npy"
check_status "analyze --probe-split out of range" 64 "$d" analyze --labels "$work/labels.npy" --probe-split 1.5 "$work/onehot.npy"
check_status "analyze --stats probe-r2 is not a spectral statistic" 64 "$d" analyze --stats probe-r2 "$work/onehot.npy"
check_grep "analyze --stats probe-r2: says where it comes from" "$work/err" 'probe-r2 comes from the linear probes'
check_status "train --probe" 0 "$d" train --model cnn --model-options depth=2,width=4 --epochs 2 --probe --writers csv,jsonl,plot,report --out "$work/r-probe"
check_grep "train --probe: CSV columns" "$work/r-probe/statistics.csv" 'train-probe-r2_features.0.*eval-probe-accuracy_features.0'
check_grep "train --probe: JSONL statistic" "$work/r-probe/statistics.jsonl" '"probe-accuracy":'
check "train --probe: plots/probes.svg" test -s "$work/r-probe/plots/probes.svg"
check_grep "train --probe: report section" "$work/r-probe/report.html" '<h2>Linear probes</h2>'
check_status "train --probe --resume" 0 "$d" train --resume "$work/r-probe" --epochs 3
check_grep "train --probe --resume: epoch 2 in the CSV" "$work/r-probe/statistics.csv" '^2[,;]'
check_status "train --probe, 3 epochs uninterrupted" 0 "$d" train --model cnn --model-options depth=2,width=4 --epochs 3 --probe --writers csv --out "$work/r-probe-whole"
check "train --probe: the resumed run's CSV equals the uninterrupted one" cmp "$work/r-probe/statistics.csv" "$work/r-probe-whole/statistics.csv"
check_status "train --probe-ridge without --probe" 64 "$d" train --epochs 1 --probe-ridge 0.1 --out "$work/r-x"
check_status "train --probe --keep-covariance" 64 "$d" train --epochs 1 --probe --keep-covariance --out "$work/r-x"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
