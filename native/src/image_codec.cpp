// Image decoding through libpng (simplified API) and libjpeg(-turbo); no hand-written decoders.
// DD_NO_IMAGE_CODECS builds a shim without them (a machine that has libtorch but not the libpng/libjpeg
// headers, e.g. a GPU box with only PyTorch); decoding then fails with a message saying so.
#include "common.h"
#if !defined(DD_NO_IMAGE_CODECS)
#include <png.h>
#include <jpeglib.h>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Decoded {
  std::vector<uint8_t> pixels;
  int64_t h = 0, w = 0;
};

// The header's size is checked before any buffer is made: a 150-byte PNG may claim 60000×60000 pixels, and the
// decoder would allocate gigabytes before finding the data missing. Training images are far smaller than this.
constexpr int64_t kMaxPixels = int64_t(1) << 26;

void check_size(const char* format, int64_t h, int64_t w) {
  if (h <= 0 || w <= 0 || h > kMaxPixels / w)
    throw std::runtime_error(std::string(format) + ": the header gives " + std::to_string(w) + "×" + std::to_string(h) +
                             " pixels; a dataset image may have at most " + std::to_string(kMaxPixels));
}

Decoded decode_png(const uint8_t* bytes, int64_t len, int channels) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes, static_cast<size_t>(len)))
    throw std::runtime_error(std::string("PNG: ") + img.message);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  try { check_size("PNG", img.height, img.width); }
  catch (...) { png_image_free(&img); throw; }
  Decoded d;
  d.h = img.height;
  d.w = img.width;
  d.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, d.pixels.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw std::runtime_error("PNG: " + msg);
  }
  return d;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg reports errors by longjmp; nothing with a destructor may live across setjmp here.
bool decode_jpeg_raw(const uint8_t* bytes, int64_t len, int channels, Decoded* d, char* message) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  if (setjmp(err.jump)) {
    std::strncpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(bytes), static_cast<unsigned long>(len));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  d->h = cinfo.output_height;
  d->w = cinfo.output_width;
  size_t stride = static_cast<size_t>(cinfo.output_width) * static_cast<size_t>(cinfo.output_components);
  uint8_t* base = d->pixels.data();
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = base + static_cast<size_t>(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Decoded decode_jpeg(const uint8_t* bytes, int64_t len, int channels) {
  // First pass reads the header for the size, so the buffer exists before the longjmp region.
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  int64_t h = 0, w = 0;
  bool ok = true;
  if (setjmp(err.jump)) {
    ok = false;
  } else {
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, const_cast<unsigned char*>(bytes), static_cast<unsigned long>(len));
    jpeg_read_header(&cinfo, TRUE);
    h = cinfo.image_height;
    w = cinfo.image_width;
  }
  jpeg_destroy_decompress(&cinfo);
  if (!ok) throw std::runtime_error(std::string("JPEG: ") + err.message);
  check_size("JPEG", h, w);
  Decoded d;
  d.pixels.resize(static_cast<size_t>(h * w * channels));
  char message[JMSG_LENGTH_MAX] = {0};
  if (!decode_jpeg_raw(bytes, len, channels, &d, message)) throw std::runtime_error(std::string("JPEG: ") + message);
  return d;
}

}  // namespace
#endif  // !DD_NO_IMAGE_CODECS

extern "C" {

int dd_image_decode(const uint8_t* bytes, int64_t len, int32_t channels, uint8_t** pixels, int64_t* height, int64_t* width) {
  DD_TRY
  if (channels != 1 && channels != 3) throw std::invalid_argument("channels_out must be 1 or 3");
  if (len < 4) throw std::runtime_error("image file too short");
#if defined(DD_NO_IMAGE_CODECS)
  (void)bytes; (void)pixels; (void)height; (void)width;
  throw std::runtime_error("this DDist shim was built without libpng/libjpeg (DD_NO_IMAGE_CODECS): image files cannot be decoded; "
                           "rebuild it where the libpng and libjpeg headers are installed");
#else
  Decoded d;
  if (bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G') d = decode_png(bytes, len, channels);
  else if (bytes[0] == 0xFF && bytes[1] == 0xD8) d = decode_jpeg(bytes, len, channels);
  else throw std::runtime_error("not a PNG or JPEG file (unknown signature)");
  auto* buf = static_cast<uint8_t*>(std::malloc(d.pixels.size()));
  if (!buf) throw std::bad_alloc();
  std::memcpy(buf, d.pixels.data(), d.pixels.size());
  *pixels = buf;
  *height = d.h;
  *width = d.w;
#endif
  DD_CATCH
}

}  // extern "C"
