//! Plain tensors and the reference convolution, the oracle of every fast path.

pub mod conv_ref;
pub mod tensor;

pub use conv_ref::{
    check_elements, conv2d, conv2d_weight_grad, output_len, ConvParams, MAX_ELEMENTS,
};
pub use tensor::{Tensor4, TensorSpec};
