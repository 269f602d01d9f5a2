// Asio's SSL part, compiled once: the build defines BOOST_ASIO_SEPARATE_COMPILATION (metrics/
// compiles the rest of Asio and Beast), and the AWS HTTPS client is the first user of asio::ssl.
#include <boost/asio/ssl/impl/src.hpp>
