package io.rafty.etcd;

import io.etcd.jetcd.api.Member;
import io.rafty.raft.Membership;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * etcd's member operations as changes of Rafty's {@link Membership}, refused with etcd's own errors.
 * Pure: the Cluster service runs each change on the leader (inside its membership change, against the
 * configuration then current) and first, as a pre-check, against this node's view.
 *
 * <ul>
 *   <li><b>Ids.</b> etcd draws a random 64-bit id for a new member; Rafty's ids are small integers, so an
 *       add takes one more than the highest id the node knows (current members, and those it saw removed
 *       while it ran): ids are not handed out twice in practice.</li>
 *   <li><b>Peer URLs.</b> A Rafty member has one address, its HTTP base URL, which is also where its peers
 *       reach it. An add takes exactly one peer URL of the form {@code http(s)://host:port}.</li>
 *   <li><b>Voters.</b> Rafty adds every member as a learner. {@code isLearner: false} adds one the leader
 *       promotes by itself once it has caught up (the HTTP API's {@code "learner": false}), so no voter
 *       ever counts toward the quorum before it has the log; {@code isLearner: true} one that waits for
 *       MemberPromote.</li>
 *   <li><b>Started.</b> etcd refuses a removal or a promotion that would leave fewer started voters than a
 *       quorum. A Rafty voter has started once the leader has heard from its storage (the configuration
 *       binds it, see {@link Membership}), and a configuration whose bound voters are fewer than a quorum
 *       is refused the same way.</li>
 * </ul>
 */
final class EtcdMembers {

    /** One member as etcd clients see it; {@code started} is false until the leader has heard from it. */
    record View(int id, String peerUrl, boolean learner, boolean started) {
    }

    private EtcdMembers() {
    }

    /** The one peer URL of an add, normalised (no trailing slash); etcd's errors for malformed ones. */
    static String peerUrl(List<String> urls) {
        if (urls.isEmpty()) {
            throw EtcdErrors.MEMBER_BAD_URLS;
        }
        if (urls.size() > 1) {
            throw EtcdErrors.unsupported("a member has exactly one peer URL (its HTTP address), got " + urls.size());
        }
        String url = urls.get(0);
        try {
            URI uri = new URI(url);
            boolean pathless = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/");
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getPort() < 1 || !pathless || uri.getRawQuery() != null || uri.getRawFragment() != null
                    || uri.getRawUserInfo() != null) {
                throw EtcdErrors.MEMBER_BAD_URLS;
            }
            return uri.getScheme() + "://" + uri.getRawAuthority();
        } catch (URISyntaxException e) {
            throw EtcdErrors.MEMBER_BAD_URLS;
        }
    }

    /** Rafty's id for etcd's {@code id}, or 0 when no Rafty member can have it. */
    static int memberId(long id) {
        return id > 0 && id <= Integer.MAX_VALUE ? (int) id : 0;
    }

    /** One more than the highest id among the members and {@code known} (ids this node has seen). */
    static int nextId(Membership current, Set<Integer> known) {
        int highest = 0;
        for (int id : current.all()) {
            highest = Math.max(highest, id);
        }
        for (int id : known) {
            highest = Math.max(highest, id);
        }
        if (highest == Integer.MAX_VALUE) {
            throw EtcdErrors.refused("no member id is left to hand out");
        }
        return highest + 1;
    }

    /**
     * Adds a member at {@code peerUrl} with the next free id: a learner, promoted by the leader once caught
     * up unless {@code learner}. Refused with "Peer URLs already exists" when a member has that address.
     */
    static UnaryOperator<Membership> add(String peerUrl, boolean learner, Map<Integer, String> directory) {
        return current -> {
            for (int id : current.all()) {
                if (peerUrl.equals(trimmed(addressOf(current, id, directory)))) {
                    throw EtcdErrors.PEER_URL_EXIST;
                }
            }
            return current.withLearner(nextId(current, directory.keySet()), peerUrl, !learner);
        };
    }

    /** The member of {@code after} at {@code peerUrl} (the one an add created), or 0. */
    static int idAt(List<View> after, String peerUrl) {
        for (View member : after) {
            if (peerUrl.equals(trimmed(member.peerUrl()))) {
                return member.id();
            }
        }
        return 0;
    }

    /** Removes member {@code id}; etcd's errors for a stranger and for a removal that leaves no quorum. */
    static UnaryOperator<Membership> remove(long id) {
        int member = memberId(id);
        return current -> {
            if (!current.contains(member)) {
                throw EtcdErrors.MEMBER_NOT_FOUND;
            }
            if (current.isVoter(member) && current.voters().size() == 1) {
                throw EtcdErrors.MEMBER_NOT_ENOUGH_STARTED;
            }
            Membership next = current.without(member);
            if (current.whyNotFollowedBy(next) != null) {
                throw EtcdErrors.MEMBER_NOT_ENOUGH_STARTED;
            }
            return next;
        };
    }

    /** Promotes learner {@code id}; etcd's errors for a stranger, a voter and a promotion that leaves no quorum. */
    static UnaryOperator<Membership> promote(long id) {
        int member = memberId(id);
        return current -> {
            if (!current.contains(member)) {
                throw EtcdErrors.MEMBER_NOT_FOUND;
            }
            if (!current.isLearner(member)) {
                throw EtcdErrors.MEMBER_NOT_LEARNER;
            }
            Membership next = current.promoted(member);
            if (current.whyNotFollowedBy(next) != null) {
                throw EtcdErrors.MEMBER_NOT_ENOUGH_STARTED;
            }
            return next;
        };
    }

    /** Every member of {@code membership}, in id order. */
    static List<View> views(Membership membership, Map<Integer, String> directory) {
        return membership.all().stream().map(id -> new View(id, addressOf(membership, id, directory),
                membership.isLearner(id), started(membership, id))).toList();
    }

    /**
     * Whether member {@code id} has started: in a configuration that binds storage, once the leader bound it
     * (it heard from it); before the first binding (a cluster just formed) every member counts as started.
     */
    static boolean started(Membership membership, int id) {
        return membership.contains(id) && (!membership.bindsStorage() || membership.storageOf(id) != 0);
    }

    /**
     * etcd's Member: the id, name {@code node<id>} (empty while it has not started, which etcdctl prints as
     * "unstarted", as for etcd's members that have not joined yet), the peer URL, the client URL when it is
     * {@code self} (members do not tell each other their etcd ports) and whether it is a learner.
     */
    static Member toMember(View view, int self, String selfClientUrl) {
        Member.Builder member = Member.newBuilder().setID(view.id()).setIsLearner(view.learner())
                .setName(view.started() ? "node" + view.id() : "");
        if (view.peerUrl() != null) {
            member.addPeerURLs(view.peerUrl());
        }
        if (view.id() == self) {
            member.addClientURLs(selfClientUrl);
        }
        return member.build();
    }

    private static String addressOf(Membership membership, int id, Map<Integer, String> directory) {
        String address = membership.addresses().get(id);
        return address != null ? address : directory.get(id);
    }

    private static String trimmed(String url) {
        if (url == null) {
            return null;
        }
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
