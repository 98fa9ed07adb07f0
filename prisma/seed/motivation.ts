/**
 * Motivation library for Sapa IKM: short, encouraging messages for owners of
 * small and medium industries (IKM) in Bangka Belitung, in Bahasa Indonesia
 * and English. Every message was written for this project.
 */

/** One entry of the motivation library: the same message in Bahasa Indonesia and English. */
export type MotivationSeed = {
  /** Stable kebab-case key, unique, used to make seeding idempotent (e.g. "jualan-online-foto-produk"). */
  slug: string;
  /** One of the topics below. */
  topic: MotivationTopic;
  /** Bahasa Indonesia text. */
  id: string;
  /** English text with the same meaning. */
  en: string;
};

export type MotivationTopic =
  | "positive-thinking"
  | "innovation"
  | "creativity"
  | "selling-online"
  | "bookkeeping"
  | "product-quality"
  | "customer-care"
  | "hard-times";

export const motivationalMessages: MotivationSeed[] = [
  // positive-thinking
  {
    slug: "mulai-dari-langkah-kecil",
    topic: "positive-thinking",
    id: "Selamat pagi, Bapak/Ibu. Setiap usaha besar dimulai dari langkah kecil yang dilakukan dengan tekun. Tetapkan satu target sederhana untuk hari ini, lalu selesaikan sebaik-baiknya.",
    en: "Good morning. Every big business starts with small steps taken steadily. Set one simple goal for today, then finish it as well as you can.",
  },
  {
    slug: "gagal-adalah-pelajaran",
    topic: "positive-thinking",
    id: "Pesanan yang batal atau produk yang belum laku bukan akhir dari usaha Anda. Catat apa yang bisa diperbaiki, lalu coba lagi dengan cara yang sedikit berbeda.",
    en: "A cancelled order or a product that has not sold yet is not the end of your business. Note what can be improved, then try again in a slightly different way.",
  },
  {
    slug: "hargai-kemajuan-kecil",
    topic: "positive-thinking",
    id: "Sudahkah Anda menghargai kemajuan kecil minggu ini? Satu pelanggan baru atau satu catatan keuangan yang rapi tetap layak disyukuri, karena semuanya ikut membangun usaha Anda.",
    en: "Have you taken a moment to appreciate this week's small progress? One new customer or one tidy financial record is still worth being thankful for, because it all helps build your business.",
  },
  {
    slug: "bandingkan-dengan-diri-sendiri",
    topic: "positive-thinking",
    id: "Tidak perlu membandingkan usaha Anda dengan usaha orang lain. Bandingkan saja dengan usaha Anda bulan lalu; selama ada perbaikan, Anda sedang berada di jalan yang benar.",
    en: "There is no need to compare your business with anyone else's. Compare it with your own business last month; as long as things are improving, you are on the right track.",
  },
  {
    slug: "praktikkan-ilmu-pelatihan",
    topic: "positive-thinking",
    id: "Ilmu dari pelatihan akan semakin bermanfaat jika dipraktikkan. Pilih satu hal yang pernah Anda pelajari, lalu terapkan minggu ini, sekecil apa pun langkahnya.",
    en: "What you learned in the training becomes more useful when you put it into practice. Choose one thing you learned and apply it this week, however small the step.",
  },
  {
    slug: "bangga-produk-bangka-belitung",
    topic: "positive-thinking",
    id: "Produk IKM Bangka Belitung punya cerita dan keunggulan sendiri, dari lada hingga pakaian dan kerajinan. Yakinlah pada nilai produk Anda, karena keyakinan itu ikut terasa oleh pembeli.",
    en: "IKM products from Bangka Belitung have their own story and strengths, from pepper to clothing and crafts. Believe in the value of your product, because buyers can feel that confidence too.",
  },

  // innovation
  {
    slug: "lada-putih-bubuk-kemasan-kecil",
    topic: "innovation",
    id: "Selain menjual lada butiran, cobalah membuat lada putih bubuk dalam kemasan kecil. Produk siap pakai seperti ini disukai rumah tangga dan bisa menambah nilai jual lada Anda.",
    en: "Besides selling whole peppercorns, try making ground white pepper in small packs. Ready-to-use products like this are popular with households and can add value to your pepper.",
  },
  {
    slug: "saus-dan-bumbu-berbahan-lada",
    topic: "innovation",
    id: "Lada bisa diolah menjadi saus lada hitam atau bumbu siap pakai. Mulailah dari resep sederhana, minta pendapat tetangga atau pelanggan, lalu perbaiki sebelum dijual lebih luas.",
    en: "Pepper can be made into black pepper sauce or ready-made seasoning. Start with a simple recipe, ask neighbours or customers for their opinion, and improve it before selling more widely.",
  },
  {
    slug: "konveksi-pesanan-seragam",
    topic: "innovation",
    id: "Usaha konveksi bisa menawarkan pembuatan seragam kepada sekolah, kantor, atau kelompok pengajian di sekitar Anda. Pesanan dalam jumlah banyak membantu pemasukan lebih stabil.",
    en: "A garment business can offer to make uniforms for schools, offices or religious study groups nearby. Bulk orders help keep your income steadier.",
  },
  {
    slug: "kontrak-servis-ac-berkala",
    topic: "innovation",
    id: "Untuk usaha reparasi AC, tawarkan kontrak servis berkala kepada toko, kantor, atau rumah makan. Pelanggan tenang karena AC terawat, dan Anda mendapat pekerjaan yang lebih pasti.",
    en: "For an AC-repair business, offer regular service contracts to shops, offices or restaurants. Customers have peace of mind because their AC is maintained, and you get more dependable work.",
  },
  {
    slug: "ide-dari-permintaan-pelanggan",
    topic: "innovation",
    id: "Ide produk baru sering datang dari keluhan atau permintaan pelanggan. Catat setiap permintaan yang belum bisa Anda penuhi, karena bisa jadi itulah peluang berikutnya.",
    en: "Ideas for new products often come from customers' complaints or requests. Write down every request you cannot meet yet, because it may be your next opportunity.",
  },
  {
    slug: "kemasan-berlabel-jelas",
    topic: "innovation",
    id: "Kemasan yang rapi dan berlabel jelas membuat produk lebih dipercaya. Cantumkan nama usaha, isi, dan tanggal produksi; perubahan kecil ini bisa membuat produk Anda naik kelas.",
    en: "Neat packaging with a clear label makes a product more trustworthy. Include your business name, the contents and the production date; this small change can help your product move up a level.",
  },

  // creativity
  {
    slug: "sisa-kain-jadi-produk-baru",
    topic: "creativity",
    id: "Sisa kain konveksi bisa diolah menjadi masker kain, tas kecil, atau sarung bantal. Kreativitas seperti ini mengurangi bahan terbuang sekaligus menambah pilihan produk untuk dijual.",
    en: "Leftover fabric from your garment work can become cloth masks, small bags or cushion covers. Creativity like this reduces waste and adds more products to sell.",
  },
  {
    slug: "sentuhan-khas-bangka-belitung",
    topic: "creativity",
    id: "Coba tambahkan sentuhan khas Bangka Belitung pada produk Anda, misalnya motif cual pada kain atau cerita lada Muntok pada kemasan. Ciri khas membuat produk mudah diingat.",
    en: "Try adding a Bangka Belitung touch to your product, such as cual motifs on fabric or the story of Muntok pepper on the packaging. A distinctive feature makes a product easy to remember.",
  },
  {
    slug: "simpan-ide-kreatif",
    topic: "creativity",
    id: "Ide kreatif bisa datang dari mana saja: obrolan dengan pembeli, suasana pasar, atau produk dari daerah lain. Simpan ide itu di buku kecil atau ponsel agar tidak terlupa.",
    en: "Creative ideas can come from anywhere: chats with buyers, a walk through the market, or products from other regions. Keep them in a small notebook or on your phone so you do not forget them.",
  },
  {
    slug: "paket-produk-untuk-hadiah",
    topic: "creativity",
    id: "Gabungkan beberapa produk menjadi satu paket, misalnya lada bubuk dan lada butiran, atau kaos dengan masker yang senada. Paket seperti ini menarik untuk hadiah dan oleh-oleh.",
    en: "Combine several products into one bundle, for example ground and whole pepper, or a T-shirt with a matching mask. Bundles like this are attractive as gifts and souvenirs.",
  },
  {
    slug: "ajak-keluarga-dan-karyawan-berbagi-ide",
    topic: "creativity",
    id: "Ajak keluarga atau karyawan untuk menyumbang ide. Orang yang setiap hari ikut bekerja sering melihat cara yang lebih mudah, lebih hemat, atau lebih menarik.",
    en: "Invite your family or staff to share their ideas. People who work alongside you every day often see ways that are easier, cheaper or more attractive.",
  },
  {
    slug: "cerita-di-balik-produk",
    topic: "creativity",
    id: "Setiap produk punya cerita, misalnya cara merawat kebun lada atau proses menjahit yang teliti. Bagikan cerita singkat itu saat berjualan agar pembeli merasa lebih dekat.",
    en: "Every product has a story, such as how you tend your pepper garden or how carefully you sew. Share that short story when you sell, so buyers feel closer to you.",
  },

  // selling-online
  {
    slug: "jualan-online-foto-produk",
    topic: "selling-online",
    id: "Ambil foto produk di siang hari dekat jendela atau di teras, dengan latar yang polos. Cahaya alami membuat warna produk terlihat asli dan menarik, cukup dengan kamera ponsel.",
    en: "Take product photos during the day near a window or on the porch, against a plain background. Natural light makes your product's colours look true and appealing, even with just a phone camera.",
  },
  {
    slug: "katalog-whatsapp-business",
    topic: "selling-online",
    id: "Sudahkah produk Anda masuk katalog WhatsApp Business? Isi nama, harga, dan keterangan singkat, sehingga pembeli bisa melihat pilihan tanpa harus bertanya satu per satu.",
    en: "Are your products in a WhatsApp Business catalogue yet? Fill in the name, price and a short description, so buyers can browse without having to ask about each item one by one.",
  },
  {
    slug: "buka-toko-di-marketplace",
    topic: "selling-online",
    id: "Toko di marketplace membuka peluang bertemu pembeli dari luar Bangka Belitung. Mulai dengan beberapa produk terlaris, tulis keterangan yang jujur dan jelas, lalu tambah produk lain perlahan.",
    en: "A marketplace shop opens the chance to reach buyers beyond Bangka Belitung. Start with a few of your best-selling products, write honest and clear descriptions, then add others gradually.",
  },
  {
    slug: "balas-pembeli-dengan-cepat",
    topic: "selling-online",
    id: "Pembeli online senang jika pertanyaannya cepat dibalas. Usahakan menjawab dalam beberapa jam, walaupun hanya untuk mengatakan bahwa Anda akan segera mengecek stok.",
    en: "Online buyers appreciate quick replies to their questions. Try to answer within a few hours, even if only to say that you will check your stock soon.",
  },
  {
    slug: "minta-ulasan-pembeli",
    topic: "selling-online",
    id: "Setelah barang diterima, mintalah pembeli dengan sopan untuk memberi ulasan atau testimoni. Ulasan yang baik membuat calon pembeli lain lebih yakin untuk membeli.",
    en: "Once the goods have arrived, politely ask the buyer to leave a review or testimonial. Good reviews give other potential buyers more confidence to buy.",
  },
  {
    slug: "unggah-status-produk-rutin",
    topic: "selling-online",
    id: "Unggah status atau postingan produk secara rutin, misalnya dua atau tiga kali seminggu. Tampilkan proses kerja, pesanan yang siap dikirim, atau ucapan terima kasih dari pelanggan.",
    en: "Post statuses or updates about your products regularly, for example two or three times a week. Show your work process, orders ready to ship or thank-you messages from customers.",
  },

  // bookkeeping
  {
    slug: "pisahkan-uang-usaha-dan-rumah-tangga",
    topic: "bookkeeping",
    id: "Pisahkan uang usaha dan uang rumah tangga, misalnya dengan dompet atau rekening yang berbeda. Dengan begitu, Anda tahu apakah usaha benar-benar untung.",
    en: "Keep your business money separate from household money, for example in a different wallet or bank account. That way, you can tell whether the business is really making a profit.",
  },
  {
    slug: "catat-setiap-penjualan",
    topic: "bookkeeping",
    id: "Catat setiap penjualan hari ini di buku sederhana atau aplikasi pencatatan di ponsel. Cukup tulis tanggal, barang, jumlah, dan harga; kebiasaan kecil ini sangat membantu.",
    en: "Write down every sale today in a simple notebook or a record-keeping app on your phone. Just note the date, item, quantity and price; this small habit helps a great deal.",
  },
  {
    slug: "catat-pengeluaran-kecil",
    topic: "bookkeeping",
    id: "Pengeluaran kecil seperti bensin, plastik kemasan, atau pulsa juga perlu dicatat. Jika dibiarkan, biaya kecil ini bisa diam-diam menggerus keuntungan Anda.",
    en: "Small expenses such as fuel, packaging plastic or phone credit should be recorded too. If left unchecked, these small costs can quietly eat into your profit.",
  },
  {
    slug: "gaji-untuk-pemilik-usaha",
    topic: "bookkeeping",
    id: "Cobalah menetapkan gaji tetap untuk diri sendiri dari hasil usaha. Dengan cara ini, kebutuhan keluarga tetap terpenuhi tanpa mengambil modal usaha sewaktu-waktu.",
    en: "Try setting a fixed salary for yourself from the business. This way, your family's needs are still met without dipping into business capital whenever the need arises.",
  },
  {
    slug: "hitung-biaya-sebelum-menentukan-harga",
    topic: "bookkeeping",
    id: "Sebelum menentukan harga jual, hitung dulu semua biaya: bahan, tenaga, kemasan, dan ongkos kirim. Harga yang tepat menjaga usaha Anda tetap berjalan dalam jangka panjang.",
    en: "Before setting a selling price, first add up all the costs: materials, labour, packaging and delivery. The right price keeps your business going in the long run.",
  },
  {
    slug: "periksa-catatan-akhir-bulan",
    topic: "bookkeeping",
    id: "Luangkan waktu di akhir bulan untuk melihat catatan keuangan. Produk mana yang paling laku, dan biaya mana yang bisa dihemat? Jawabannya membantu rencana bulan depan.",
    en: "Set aside some time at the end of the month to look over your financial records. Which product sold best, and which costs could be cut? The answers help you plan for next month.",
  },

  // product-quality
  {
    slug: "cek-jahitan-sebelum-dikemas",
    topic: "product-quality",
    id: "Sebelum pakaian dikemas, periksa jahitan, kancing, dan sisa benang. Satu menit pengecekan bisa mencegah kekecewaan pembeli dan menjaga nama baik konveksi Anda.",
    en: "Before packing garments, check the stitching, buttons and loose threads. A minute of checking can prevent a disappointed buyer and protect the good name of your garment business.",
  },
  {
    slug: "lada-kering-dan-bersih",
    topic: "product-quality",
    id: "Jaga lada tetap kering dan bersih: jemur di atas alas yang bersih, jauh dari tanah dan hewan, lalu simpan dalam wadah tertutup. Lada yang terawat lebih harum dan lebih disukai pembeli.",
    en: "Keep your pepper dry and clean: dry it on a clean mat, away from soil and animals, then store it in a closed container. Well-kept pepper smells better and is more popular with buyers.",
  },
  {
    slug: "kualitas-yang-konsisten",
    topic: "product-quality",
    id: "Pembeli kembali karena mendapat kualitas yang sama setiap kali membeli. Gunakan takaran, bahan, dan cara kerja yang tetap, lalu tuliskan sebagai panduan sederhana.",
    en: "Buyers come back because they get the same quality every time they buy. Use fixed measurements, materials and working methods, and write them down as a simple guide.",
  },
  {
    slug: "servis-ac-diuji-dan-rapi",
    topic: "product-quality",
    id: "Setelah memperbaiki AC, pastikan unit diuji sampai benar-benar dingin dan area kerja dibersihkan kembali. Hasil yang rapi membuat pelanggan percaya dan mau memanggil Anda lagi.",
    en: "After repairing an AC unit, test it until it is properly cooling and clean up the work area. Tidy results earn customers' trust and make them want to call you again.",
  },
  {
    slug: "tempat-produksi-bersih",
    topic: "product-quality",
    id: "Tempat produksi yang bersih membuat produk lebih aman dan dipercaya, terutama produk pangan seperti lada bubuk dan saus. Cuci tangan dan peralatan sebelum mulai bekerja.",
    en: "A clean production area makes products safer and more trusted, especially food products such as ground pepper and sauces. Wash your hands and tools before you start work.",
  },
  {
    slug: "pilih-bahan-baku-yang-baik",
    topic: "product-quality",
    id: "Kualitas produk dimulai dari bahan baku. Pilih kain, benang, atau suku cadang yang baik, walau sedikit lebih mahal, agar hasil akhirnya awet dan pelanggan puas.",
    en: "Product quality starts with the raw materials. Choose good fabric, thread or spare parts, even if they cost a little more, so the finished result lasts and customers are satisfied.",
  },

  // customer-care
  {
    slug: "harga-tertulis-sebelum-servis-ac",
    topic: "customer-care",
    id: "Untuk jasa reparasi AC, berikan perkiraan harga secara tertulis sebelum mulai bekerja. Pelanggan merasa dihargai, dan kesalahpahaman soal biaya bisa dihindari.",
    en: "For AC-repair jobs, give a written price estimate before you start work. Customers feel respected, and misunderstandings about cost can be avoided.",
  },
  {
    slug: "ucapkan-terima-kasih",
    topic: "customer-care",
    id: "Ucapan terima kasih yang tulus setelah pembelian membuat pelanggan merasa dihargai. Selipkan kartu kecil di dalam paket atau kirim pesan singkat yang ramah.",
    en: "A sincere thank-you after a purchase makes customers feel appreciated. Tuck a small card into the package or send a short, friendly message.",
  },
  {
    slug: "tepati-janji-waktu",
    topic: "customer-care",
    id: "Tepati janji waktu pengiriman atau kedatangan. Jika ada kendala, kabari pelanggan lebih awal; kejujuran seperti ini justru membuat mereka lebih percaya.",
    en: "Keep your promises about delivery or arrival times. If something comes up, let the customer know early; this kind of honesty actually makes them trust you more.",
  },
  {
    slug: "tanggapi-keluhan-dengan-sabar",
    topic: "customer-care",
    id: "Saat menerima keluhan, dengarkan sampai selesai, minta maaf bila memang ada kesalahan, lalu tawarkan jalan keluar. Pelanggan yang keluhannya ditangani dengan baik sering menjadi pelanggan setia.",
    en: "When you receive a complaint, listen to the end, apologise if there really was a mistake, then offer a solution. Customers whose complaints are handled well often become loyal customers.",
  },
  {
    slug: "sapa-pelanggan-tetap",
    topic: "customer-care",
    id: "Simpan kontak dan catatan pesanan pelanggan tetap Anda. Sapa mereka sesekali, misalnya saat ada produk baru atau menjelang hari raya, tanpa terkesan memaksa.",
    en: "Keep the contacts and order notes of your regular customers. Say hello now and then, for example when you have a new product or ahead of the holidays, without being pushy.",
  },
  {
    slug: "ingatkan-jadwal-servis-ac",
    topic: "customer-care",
    id: "Pelanggan servis AC akan senang jika Anda mengingatkan jadwal pembersihan berikutnya. Perhatian kecil ini menunjukkan bahwa Anda peduli, bukan hanya saat ada pekerjaan.",
    en: "AC-service customers will appreciate a reminder when their next cleaning is due. This small gesture shows that you care, not only when there is a job to be done.",
  },

  // hard-times
  {
    slug: "bertahan-adalah-prestasi",
    topic: "hard-times",
    id: "Bertahan di masa sulit adalah sebuah prestasi. Jika penjualan sedang turun, fokuslah pada pelanggan yang sudah ada dan jaga pengeluaran tetap hemat.",
    en: "Getting through hard times is an achievement in itself. If sales are down, focus on your existing customers and keep your spending lean.",
  },
  {
    slug: "gabung-kelompok-ikm",
    topic: "hard-times",
    id: "Anda tidak harus berjuang sendirian. Bergabunglah dengan kelompok atau paguyuban IKM di daerah Anda untuk berbagi informasi, pengalaman, dan peluang pesanan.",
    en: "You do not have to struggle alone. Join an IKM group or association in your area to share information, experience and order opportunities.",
  },
  {
    slug: "sesuaikan-produk-dengan-kebutuhan",
    topic: "hard-times",
    id: "Saat keadaan berubah, kebutuhan pembeli juga berubah. Seperti banyak konveksi yang beralih membuat masker di masa pandemi, perhatikan apa yang sedang dibutuhkan orang di sekitar Anda.",
    en: "When circumstances change, buyers' needs change too. Just as many garment makers switched to making masks during the pandemic, pay attention to what people around you need right now.",
  },
  {
    slug: "sisihkan-dana-cadangan",
    topic: "hard-times",
    id: "Jika ada sedikit kelebihan, sisihkan sebagai dana cadangan usaha. Dana kecil yang terkumpul perlahan bisa menjadi penolong saat musim sepi atau harga bahan naik.",
    en: "When there is a little extra, set it aside as a business reserve. A small fund built up slowly can help you through quiet seasons or when material prices rise.",
  },
  {
    slug: "harga-lada-naik-turun",
    topic: "hard-times",
    id: "Harga lada memang naik turun, dan itu bukan kesalahan Anda. Manfaatkan masa harga rendah untuk merawat kebun, memperbaiki mutu, dan mencoba produk olahan lada.",
    en: "Pepper prices do go up and down, and that is not your fault. Use periods of low prices to tend your garden, improve quality and try making processed pepper products.",
  },
  {
    slug: "satu-langkah-setiap-hari",
    topic: "hard-times",
    id: "Masa sulit terasa berat jika dipikirkan sekaligus. Pilih satu langkah kecil yang bisa Anda lakukan hari ini, selesaikan, lalu lanjutkan besok. Tetap semangat, Bapak/Ibu.",
    en: "Hard times feel heavy when you think about everything at once. Pick one small step you can take today, finish it, then carry on tomorrow. Keep your spirits up.",
  },
];
