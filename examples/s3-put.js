// @ts-check
// An S3-style PUT endpoint: object uploads as S3 clients send them (the AWS
// SDK adds `Expect: 100-continue` to PutObject for bodies of 2 MiB and more,
// curl -T to every upload), with S3's XML errors, so the clients report them properly.
//
//   node examples/s3-put.js      (npm run example:s3 builds first)
//
// The route is the example upload app's S3 bucket (examples/upload-app.js,
// `s3Bucket`), the one the interop tests drive with the real AWS SDK: this
// starts that app. Answered before the object is sent:
// - 403 AccessDenied: unknown access key (an onRequest hook; a stand-in for SigV4);
// - 404 NoSuchBucket: a bucket other than "uploads" (the same hook);
// - 415: a Content-Type other than application/octet-stream or image/* (config.expect.contentTypes);
// - 413 EntityTooLarge: Content-Length over the route's bodyLimit (8 MiB).
'use strict'
const { buildUploadApp, S3 } = require('./upload-app')

/** @param {Parameters<typeof buildUploadApp>[0]} [options] */
function buildS3App (options) {
  return buildUploadApp(options)
}

module.exports = { buildS3App, S3 }

if (require.main === module) {
  const app = buildS3App({ logger: true })
  app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).then((address) => {
    const endpoint = `${address}/s3`
    console.log(`S3-style endpoint: ${endpoint} (bucket "${S3.bucket}", access key ${S3.accessKeyId}, objects up to ${S3.maxObjectSize} bytes)`)
    console.log(`try: curl -T photo.png -H 'content-type: image/png' -H 'authorization: AWS4-HMAC-SHA256 Credential=${S3.accessKeyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' ${endpoint}/${S3.bucket}/photo.png`)
    console.log(`or the AWS SDK: new S3Client({ endpoint: '${endpoint}', forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: '${S3.accessKeyId}', secretAccessKey: 'any' } })`)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
