// Package safetensors reads and writes the safetensors file format, which
// PyTorch, Hugging Face and most deep-learning tools read, so that weights
// move between them and Myelin.
//
// A file is an 8-byte little-endian unsigned header length N, then N bytes
// of a UTF-8 JSON object, then the data buffer. The object maps each tensor
// name to {"dtype": "F32", "shape": [out, in], "data_offsets": [begin,
// end]}, with the tensor's row-major little-endian bytes at [begin, end) of
// the data buffer; the optional key "__metadata__" holds an object of
// strings. The tensors tile the data buffer exactly.
//
// The reader treats every file as untrusted: it checks the header against
// the file size and every tensor against its dtype, shape and neighbours
// before it allocates anything the header describes, and reports what is
// wrong as an error (see Read).
package safetensors
