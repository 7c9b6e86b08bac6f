//! Header-only indexing of 2,000 generated CT files (warm page cache), with all cores and with
//! one thread. Target (issue 3): ≤ 1 s for 2,000 files on the 2-core reference machine.

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

fn index_2000(c: &mut Criterion) {
    let dir = lucent_bench::ct_corpus(2000).expect("generate the benchmark corpus");
    let roots = vec![dir];
    // Warm the page cache and check the corpus once.
    let index = lucent_index::scan(&roots).expect("scan");
    assert_eq!(index.instances().count(), 2000, "corpus is complete");
    let mut group = c.benchmark_group("index_headers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("2000_files_all_cores", |b| {
        b.iter(|| lucent_index::scan(&roots).unwrap())
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    group.bench_function("2000_files_1_thread", |b| {
        b.iter(|| one.install(|| lucent_index::scan(&roots).unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = index_2000
}
criterion_main!(benches);
