package io.rafty.etcd;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Empty;
import com.google.protobuf.WireFormat;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * etcd's {@code Lease/LeaseLeases} ({@code etcdctl lease list}), which the protos of jetcd-grpc 0.8.6 lack:
 * its method descriptor and its three messages, encoded by hand with protobuf's coded streams as etcd's
 * {@code rpc.proto} defines them:
 * <pre>
 * message LeaseLeasesRequest {}
 * message LeaseStatus { int64 ID = 1; }
 * message LeaseLeasesResponse { ResponseHeader header = 1; repeated LeaseStatus leases = 2; }
 * </pre>
 * The request has no fields: it travels as {@code google.protobuf.Empty}, the same bytes. The response is
 * written here; unknown fields are skipped when it is parsed, as protobuf does (the parser serves clients,
 * the tests). {@link EtcdLeaseService} adds the method to the Lease service it registers.
 */
public final class LeaseLeases {

    // A tag is the field number shifted left by three, or'd with the wire type.
    private static final int HEADER_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int LEASES_TAG = 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int ID_TAG = 1 << 3 | WireFormat.WIRETYPE_VARINT;

    /** The response: the header and every lease's id, in id order. */
    public record Response(ResponseHeader header, List<Long> ids) {

        public Response {
            ids = List.copyOf(ids);
        }

        /** Bytes on the wire. */
        public int serializedSize() {
            int size = header == null ? 0 : CodedOutputStream.computeMessageSize(1, header);
            for (long id : ids) {
                int status = statusSize(id);
                size += CodedOutputStream.computeTagSize(2) + CodedOutputStream.computeUInt32SizeNoTag(status) + status;
            }
            return size;
        }

        byte[] encode() {
            byte[] bytes = new byte[serializedSize()];
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            try {
                if (header != null) {
                    out.writeMessage(1, header);
                }
                for (long id : ids) {
                    out.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                    out.writeUInt32NoTag(statusSize(id));
                    if (id != 0) {
                        out.writeInt64(1, id);
                    }
                }
                out.checkNoSpaceLeft();
            } catch (IOException e) {
                throw new IllegalStateException("encoding into an array of the computed size failed", e);
            }
            return bytes;
        }

        static Response decode(CodedInputStream in) throws IOException {
            ResponseHeader header = null;
            List<Long> ids = new ArrayList<>();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag == HEADER_TAG) {
                    header = ResponseHeader.parseFrom(in.readBytes());
                } else if (tag == LEASES_TAG) {
                    ids.add(leaseId(CodedInputStream.newInstance(in.readBytes().toByteArray())));
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
            return new Response(header, ids);
        }

        private static int statusSize(long id) {
            return id == 0 ? 0 : CodedOutputStream.computeInt64Size(1, id);
        }

        private static long leaseId(CodedInputStream status) throws IOException {
            long id = 0;
            for (int tag = status.readTag(); tag != 0; tag = status.readTag()) {
                if (tag == ID_TAG) {
                    id = status.readInt64();
                } else if (!status.skipField(tag)) {
                    break;
                }
            }
            return id;
        }
    }

    /** {@code /etcdserverpb.Lease/LeaseLeases}. */
    public static final MethodDescriptor<Empty, Response> METHOD = MethodDescriptor.<Empty, Response>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(LeaseGrpc.SERVICE_NAME, "LeaseLeases"))
            // LeaseLeasesRequest has no fields, so its bytes are google.protobuf.Empty's; Vert.x's gRPC bridge wants a
            // protobuf prototype for what it decodes, which Empty is.
            .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
            .setResponseMarshaller(new MethodDescriptor.Marshaller<>() {
                @Override
                public InputStream stream(Response value) {
                    return new ByteArrayInputStream(value.encode());
                }

                @Override
                public Response parse(InputStream stream) {
                    try {
                        return Response.decode(CodedInputStream.newInstance(stream));
                    } catch (IOException e) {
                        throw malformed(e);
                    }
                }
            })
            .build();

    private LeaseLeases() {
    }

    private static RuntimeException malformed(IOException e) {
        // As grpc-java's protobuf marshaller answers bytes that do not parse.
        return Status.INTERNAL.withDescription("rafty: invalid protobuf byte sequence").withCause(e).asRuntimeException();
    }
}
